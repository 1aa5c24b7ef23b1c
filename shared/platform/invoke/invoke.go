// Package invoke calls another function through Lambda's Invoke API: Call
// synchronously (RequestResponse), JSON in and JSON out, and Start
// asynchronously (Event), as EventBridge does. The same call in AWS (the
// target's live alias, which the topology grants lambda:InvokeFunction on) and
// against the local cloud, which answers Invoke on AWS_ENDPOINT_URL_LAMBDA.
//
// The request is signed with the SDK's Signature V4 signer and the function's
// own credentials (aws.Config), not sent through the SDK's lambda client:
// that client links its whole service model (every operation's error types,
// its endpoint rules) for the one operation, +0.38 MiB, which put
// websub-callback at 8.25 MiB on linux/arm64, over the 8 MiB aim; this is
// 7.88 (admin-ops, which starts batches and redrives dead letters with Start:
// 8.13 → 7.75). The wire format is the same (POST
// /2015-03-31/functions/{name}/invocations, X-Amz-Invocation-Type,
// X-Amz-Function-Error). Throttling, 5xx answers and lost connections are
// tried again, as the SDK's standard retryer would (3 attempts, jittered
// exponential backoff): the invoked function must be idempotent, which a
// parser is, and which every asynchronous function is already (Lambda
// delivers an event at least once).
package invoke

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"

	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// Attempts is how many times a call is tried (the SDK's standard retryer's).
const Attempts = 3

// Function is a function this one may invoke (topology.Function.Invokes, or
// for an operator every asynchronous function).
type Function struct {
	name, target, endpoint string
	cfg                    aws.Config
	signer                 *v4.Signer
	backoff                time.Duration // the first retry's most; doubles
}

// client is every Function's: one connection pool per endpoint, as one SDK
// client had for all its calls.
var client = &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 8, IdleConnTimeout: 60 * time.Second,
	TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: 15 * time.Minute}}

// Open returns the function named in the topology, or exits when the
// topology does not let this function invoke it (contract.InvokeEnv unset).
func Open(env *boot.Env, name string) *Function {
	target := env.Var(contract.InvokeEnv(name))
	if target == "" {
		boot.Fail("invoke "+name, fmt.Errorf("%s is not set; does the topology list %q in this function's Invokes?", contract.InvokeEnv(name), name))
	}
	return New(env.AWS, endpoint(env.AWS.Region), name, target)
}

// Targets returns a Function for each of targets (its name in the topology →
// what Lambda knows it by), for a function that chooses at run time which to
// invoke: admin-ops starts any asynchronous function
// (contract.Operations.Functions), as the topology lets an operator.
func Targets(cfg aws.Config, targets map[string]string) map[string]*Function {
	fns := make(map[string]*Function, len(targets))
	for name, target := range targets {
		fns[name] = New(cfg, endpoint(cfg.Region), name, target)
	}
	return fns
}

// endpoint is Lambda's in the region, or the one the environment names (the
// local cloud's).
func endpoint(region string) string {
	if e := awsenv.Endpoint("LAMBDA"); e != nil {
		return *e
	}
	return "https://lambda." + region + ".amazonaws.com"
}

// New is a Function at an endpoint, for Open and tests: name is the
// function's name in the topology, target what Lambda knows it by (its live
// alias ARN in AWS).
func New(cfg aws.Config, endpoint, name, target string) *Function {
	return &Function{name: name, target: target, endpoint: endpoint, cfg: cfg, signer: v4.NewSigner(), backoff: 100 * time.Millisecond}
}

// Error is the invoked function's own failure (a handler error, a panic, a
// timeout, a response over the payload limit), as Lambda reports it.
type Error struct {
	Function, Type, Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s failed: %s: %s", e.Function, e.Type, e.Message)
}

// FunctionError is the failure's type as Lambda reports it (Unhandled,
// Sandbox.Timedout…), for a caller that tells the invoked function failing
// from Lambda refusing the call without importing this package.
func (e *Error) FunctionError() string { return e.Type }

// APIError is Lambda refusing the call itself (access denied, throttled past
// the retries, a request too large, the service failing).
type APIError struct {
	Status        int
	Code, Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("lambda Invoke: HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// HTTPStatus is the status Lambda answered, for a caller that tells a
// refusal retrying cannot change (413: the request is too large) from the
// others without importing this package.
func (e *APIError) HTTPStatus() int { return e.Status }

// retryable: throttling, the service failing, a lost connection.
func retryable(err error) bool {
	var api *APIError
	if errors.As(err, &api) {
		return api.Status == http.StatusTooManyRequests || api.Status >= 500
	}
	var fe *Error
	return !errors.As(err, &fe) && err != nil
}

// Call invokes the function with in as JSON and decodes its answer into out.
func (f *Function) Call(ctx context.Context, in, out any) error {
	payload, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("invoke %s: %w", f.name, err)
	}
	body, err := f.invoke(ctx, requestResponse, payload)
	if err != nil {
		return fmt.Errorf("invoke %s: %w", f.name, err)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("invoke %s: its answer: %w", f.name, err)
	}
	return nil
}

// Start invokes the function asynchronously with event (a JSON document
// within Lambda's asynchronous payload limit), as EventBridge does: Lambda
// queues it and answers 202, and the function's own failures go to its
// retries and dead letters, not to the caller. A nil error means Lambda
// accepted the event.
func (f *Function) Start(ctx context.Context, event []byte) error {
	if _, err := f.invoke(ctx, eventType, event); err != nil {
		return fmt.Errorf("invoke %s: %w", f.name, err)
	}
	return nil
}

// An invocation type, with the status Lambda answers it with.
type invocation struct {
	header string
	status int
}

var (
	requestResponse = invocation{"RequestResponse", http.StatusOK}
	eventType       = invocation{"Event", http.StatusAccepted}
)

// invoke makes the call, tried again while retryable.
func (f *Function) invoke(ctx context.Context, typ invocation, payload []byte) ([]byte, error) {
	sum := sha256.Sum256(payload)
	hash := hex.EncodeToString(sum[:])
	for attempt := 1; ; attempt++ {
		body, err := f.call(ctx, typ, payload, hash)
		if err == nil || !retryable(err) || attempt == Attempts || ctx.Err() != nil {
			return body, err
		}
		delay := time.Duration(rand.Int64N(int64(f.backoff << (attempt - 1))))
		select {
		case <-ctx.Done():
		case <-time.After(delay):
		}
	}
}

func (f *Function) call(ctx context.Context, typ invocation, payload []byte, hash string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		// The name escaped as the SDK's REST binding escapes it (":" too).
		f.endpoint+"/2015-03-31/functions/"+httpbinding.EscapePath(f.target, true)+"/invocations", bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amz-Invocation-Type", typ.header)
	creds, err := f.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, err
	}
	if err := f.signer.SignHTTP(ctx, creds, req, hash, "lambda", f.cfg.Region, time.Now().UTC()); err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, contract.MaxSyncPayload+1))
	switch {
	case err != nil:
		return nil, err
	case len(body) > contract.MaxSyncPayload:
		return nil, fmt.Errorf("answer over %d bytes", contract.MaxSyncPayload)
	case resp.StatusCode != typ.status:
		// Lambda names the error in X-Amzn-ErrorType (its body's "Type" is
		// only "User" or "Service"); other JSON protocols in __type.
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
			Upper   string `json:"Message"`
		}
		_ = json.Unmarshal(body, &e)
		code, _, _ := strings.Cut(resp.Header.Get("X-Amzn-ErrorType"), ":")
		if code == "" {
			code = e.Type[strings.LastIndexByte(e.Type, '#')+1:]
		}
		if e.Message == "" {
			e.Message = e.Upper
		}
		return nil, &APIError{Status: resp.StatusCode, Code: code, Message: e.Message}
	case resp.Header.Get("X-Amz-Function-Error") != "":
		var fe struct {
			Type    string `json:"errorType"`
			Message string `json:"errorMessage"`
		}
		_ = json.Unmarshal(body, &fe)
		return nil, &Error{Function: f.name, Type: fe.Type, Message: fe.Message}
	}
	return body, nil
}
