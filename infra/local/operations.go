package local

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// The local AWS endpoint also speaks the two APIs the admin console
// operates with — Lambda Invoke (asynchronous, as EventBridge invokes) and
// SQS ReceiveMessage/DeleteMessage over each function's dead letters, whose
// messages have the shape of Lambda's on-failure destination records — and
// synchronous Lambda Invoke, with which a function calls one it lists in
// Invokes (ingest-feeds and websub-callback call parse-feed).

// maxAsyncPayload is Lambda's cap on an asynchronous invocation's event.
const maxAsyncPayload = 256 << 10

// serveInvoke is POST /2015-03-31/functions/{name}/invocations. A function
// may invoke asynchronously only as an operator, a function that is invoked
// asynchronously, and synchronously only a function it lists in Invokes —
// the grants the CDK stack gives (lambda:InvokeFunction on those aliases).
func (b *Bus) serveInvoke(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/2015-03-31/functions/"), "/invocations")
	if !ok || r.Method != http.MethodPost {
		awsError(w, http.StatusNotFound, "ResourceNotFoundException", "unknown Lambda API path "+r.URL.Path)
		return
	}
	if i := strings.LastIndexByte(name, ':'); i >= 0 { // an ARN or name:qualifier
		name = name[:i]
		if j := strings.LastIndexByte(name, ':'); j >= 0 {
			name = name[j+1:]
		}
	}
	target, found := b.cloud.Function(name)
	if !found {
		awsError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	}
	sync := true
	switch t := r.Header.Get("X-Amz-Invocation-Type"); t {
	case "", "RequestResponse":
	case "Event":
		sync = false
	default:
		awsError(w, http.StatusBadRequest, "InvalidParameterValueException", "the local cloud invokes with InvocationType Event or RequestResponse, not "+t)
		return
	}
	who, isFunction := caller(r)
	if isFunction {
		f, _ := b.cloud.Function(who)
		if allowed := slices.Contains(f.Invokes, name) || (!sync && f.Operator && target.Async()); !allowed {
			accessDenied(w, http.StatusForbidden, "application/json", who, "lambda:InvokeFunction", "arn:aws:lambda:"+Region+":"+Account+":function:"+name+":live")
			return
		}
	}
	limit := maxAsyncPayload
	if sync {
		limit = contract.MaxSyncPayload
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil || len(payload) > limit {
		awsError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "Request must be smaller than "+strconv.Itoa(limit)+" bytes for the InvokeFunction operation")
		return
	}
	if !json.Valid(payload) {
		awsError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json")
		return
	}
	if !sync {
		b.Deliver(name, "invoke", payload, Trace{Root: NewTraceRoot()})
		w.WriteHeader(http.StatusAccepted)
		return
	}
	tr := ParseTraceHeader(r.Header.Get("X-Amzn-Trace-Id"))
	if tr.Root == "" {
		tr = Trace{Root: NewTraceRoot()}
	}
	res, err := b.host.Invoke(WithTrace(r.Context(), tr), name, "invoke:"+who, payload)
	switch {
	case errors.Is(err, ErrThrottled):
		awsError(w, http.StatusTooManyRequests, "TooManyRequestsException", "Rate Exceeded.")
		return
	case errors.Is(err, ErrTimeout):
		res.FunctionError, res.Payload = "Unhandled", functionError("Sandbox.Timedout", fmt.Sprintf("Task timed out after %.2f seconds", target.Timeout.Seconds()))
	case err != nil:
		res.FunctionError, res.Payload = "Unhandled", functionError("Runtime.ExitError", err.Error())
	case len(res.Payload) > contract.MaxSyncPayload:
		res.FunctionError, res.Payload = "Unhandled", functionError("Function.ResponseSizeTooLarge",
			fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", contract.MaxSyncPayload))
	case res.FunctionError != "":
		res.FunctionError = "Unhandled" // what Lambda reports for an error a runtime posts
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	if res.FunctionError != "" {
		w.Header().Set("X-Amz-Function-Error", res.FunctionError)
	}
	_, _ = w.Write(res.Payload)
}

func functionError(typ, msg string) []byte {
	b, _ := json.Marshal(map[string]string{"errorType": typ, "errorMessage": msg})
	return b
}

// failureRecord is a dead letter as Lambda's on-failure destination writes it.
func failureRecord(d DeadLetter) string {
	errType, errMsg, _ := strings.Cut(d.Error, ": ")
	b, _ := json.Marshal(map[string]any{
		"version": "1.0", "timestamp": d.At.Format(time.RFC3339Nano),
		"requestContext": map[string]any{"requestId": d.ID, "functionArn": d.Function, "condition": "RetriesExhausted",
			"approximateInvokeCount": d.Attempts},
		"requestPayload":  json.RawMessage(d.Event),
		"responseContext": map[string]any{"statusCode": 200, "functionError": "Unhandled"},
		"responsePayload": map[string]any{"errorType": errType, "errorMessage": errMsg},
	})
	return string(b)
}

func (b *Bus) serveSQS(w http.ResponseWriter, r *http.Request, op string) {
	var in struct {
		QueueURL            string `json:"QueueUrl"`
		MaxNumberOfMessages int
		ReceiptHandle       string
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		awsError(w, http.StatusBadRequest, "InvalidParameterValue", "bad request body")
		return
	}
	_, rest, found := strings.Cut(in.QueueURL, "/queue/")
	fn, ok := strings.CutSuffix(rest, "-dlq")
	if f, known := b.cloud.Function(fn); !found || !ok || !known || !f.Async() {
		awsError(w, http.StatusBadRequest, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	switch op {
	case "ReceiveMessage":
		max := in.MaxNumberOfMessages
		if max < 1 || max > 10 {
			max = 1
		}
		msgs := []map[string]any{}
		for _, d := range b.DeadLetters() {
			if d.Function != fn || len(msgs) == max {
				continue
			}
			body := failureRecord(d)
			sum := md5.Sum([]byte(body))
			msgs = append(msgs, map[string]any{"MessageId": d.ID, "ReceiptHandle": d.ID, "Body": body,
				"MD5OfBody": hex.EncodeToString(sum[:])})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"Messages": msgs})
	case "DeleteMessage":
		b.deleteDeadLetter(in.ReceiptHandle) // deleting what is gone is not an error in SQS either
		_, _ = w.Write([]byte("{}"))
	default:
		awsError(w, http.StatusBadRequest, "UnsupportedOperation", "the local cloud's SQS speaks ReceiveMessage and DeleteMessage only, not "+op)
	}
}

func (b *Bus) deleteDeadLetter(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, d := range b.dead {
		if d.ID == id {
			b.dead = append(b.dead[:i:i], b.dead[i+1:]...)
			return
		}
	}
}
