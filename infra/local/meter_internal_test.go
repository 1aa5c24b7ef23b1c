package local

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// answerWatch is a function's side of a metered call: when the answer
// reaches it, it notes what the meter had recorded by then.
type answerWatch struct {
	http.ResponseWriter
	m     *meter
	calls int
}

func (a *answerWatch) WriteHeader(status int) {
	a.m.mu.Lock()
	if u := a.m.usage["feed-api"]; u != nil {
		a.calls = u.Calls
	}
	a.m.mu.Unlock()
	a.ResponseWriter.WriteHeader(status)
}

// TestAMeteredCallIsRecordedBeforeItsAnswerLeaves: a synchronous request
// that has its answer has been counted. Were the call recorded after its
// answer went out, a measurement starting right after a request (the scale
// harness's warm-up request, then MeterDynamo) could count that request's
// last call as the measured requests' own — as a loaded CI machine did.
func TestAMeteredCallIsRecordedBeforeItsAnswerLeaves(t *testing.T) {
	m := &meter{on: true, usage: map[string]*DynamoUsage{}}
	dynalite := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amz-Crc32", "1")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"Responses":{"t":[{"pk":{"S":"a"}}]},"ConsumedCapacity":[{"TableName":"t","CapacityUnits":0.5}]}`)
	})
	rec := httptest.NewRecorder()
	watch := &answerWatch{ResponseWriter: rec, m: m}
	body := `{"RequestItems":{"t":{"Keys":[{"pk":{"S":"a"}}]}}}`
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	m.serve("feed-api", "BatchGetItem", []byte(body), watch, r, dynalite)

	if watch.calls != 1 {
		t.Errorf("the answer left with %d calls recorded, want 1", watch.calls)
	}
	if rec.Code != 200 || rec.Header().Get("X-Amz-Crc32") != "1" || !strings.Contains(rec.Body.String(), `"Responses"`) {
		t.Errorf("the answer was not passed on whole: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	if u := m.usage["feed-api"]; u == nil || u.Calls != 1 || u.ReadUnits != 0.5 || u.Items != 1 {
		t.Errorf("usage %+v, want 1 call of 0.5 RRU and 1 item", u)
	}
}
