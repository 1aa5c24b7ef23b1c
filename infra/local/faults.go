package local

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Faults are failures the local cloud injects between functions and the
// services they call, as a flaky cloud would: DynamoDB throttling and server
// errors, added latency, connections dropped after the request was applied
// (the response is lost: the SDK retries a write that already happened), and
// EventBridge PutEvents server errors. Set them with POST /_local/faults or
// Cloud.SetFaults; only function callers are affected.
type Faults struct {
	DynamoThrottle  float64 `json:"dynamodb_throttle"`
	DynamoError     float64 `json:"dynamodb_error"`
	DynamoDrop      float64 `json:"dynamodb_drop_after_apply"`
	DynamoLatencyMS int     `json:"dynamodb_latency_ms"`
	BusError        float64 `json:"eventbridge_error"`
	KillInvocation  float64 `json:"kill_invocation"` // the function instance is killed mid-invocation
}

// FaultCounts says how many of each fault were injected.
type FaultCounts struct {
	DynamoCalls    int `json:"dynamodb_calls"`
	DynamoThrottle int `json:"dynamodb_throttle"`
	DynamoError    int `json:"dynamodb_error"`
	DynamoDrop     int `json:"dynamodb_drop_after_apply"`
	BusCalls       int `json:"eventbridge_calls"`
	BusError       int `json:"eventbridge_error"`
	Invocations    int `json:"invocations"`
	Killed         int `json:"killed"`
}

type faultState struct {
	mu     sync.Mutex
	f      Faults
	counts FaultCounts
}

func (s *faultState) set(f Faults) {
	s.mu.Lock()
	s.f = f
	s.mu.Unlock()
}

func (s *faultState) get() (Faults, FaultCounts) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f, s.counts
}

// dynamo decides a DynamoDB call's fate: "" (pass), "throttle", "error" or
// "drop", after the configured latency.
func (s *faultState) dynamo() string {
	s.mu.Lock()
	f := s.f
	if f == (Faults{}) {
		s.mu.Unlock()
		return ""
	}
	s.counts.DynamoCalls++
	r := rand.Float64()
	fate := ""
	switch {
	case r < f.DynamoThrottle:
		fate = "throttle"
		s.counts.DynamoThrottle++
	case r < f.DynamoThrottle+f.DynamoError:
		fate = "error"
		s.counts.DynamoError++
	case r < f.DynamoThrottle+f.DynamoError+f.DynamoDrop:
		fate = "drop"
		s.counts.DynamoDrop++
	}
	s.mu.Unlock()
	if f.DynamoLatencyMS > 0 {
		time.Sleep(time.Duration(f.DynamoLatencyMS) * time.Millisecond)
	}
	return fate
}

func (s *faultState) bus() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == (Faults{}) {
		return false
	}
	s.counts.BusCalls++
	if rand.Float64() < s.f.BusError {
		s.counts.BusError++
		return true
	}
	return false
}

// injectDynamo answers a function's DynamoDB call with its fate; it returns
// false when the call should go through normally.
func injectDynamo(fate string, w http.ResponseWriter, r *http.Request, next http.Handler) bool {
	switch fate {
	case "throttle":
		awsJSONError(w, http.StatusBadRequest, "com.amazonaws.dynamodb.v20120810#ThrottlingException", "Rate of requests exceeds the allowed throughput (injected).")
	case "error":
		awsJSONError(w, http.StatusInternalServerError, "com.amazonaws.dynamodb.v20120810#InternalServerError", "Internal server error (injected).")
	case "drop":
		// Apply the call, then lose the answer.
		rec := httptest.NewRecorder()
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(rec, r)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		w.WriteHeader(http.StatusBadGateway)
	default:
		return false
	}
	return true
}

func awsJSONError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"__type":"` + typ + `","message":"` + msg + `"}`))
}

// kill decides whether an invocation's instance dies mid-way.
func (s *faultState) kill() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == (Faults{}) {
		return false
	}
	s.counts.Invocations++
	if rand.Float64() < s.f.KillInvocation {
		s.counts.Killed++
		return true
	}
	return false
}
