package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	web "github.com/kiosk-news/kiosk/shared/console"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/guregu/dynamo/v2"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/invoke"
	"github.com/kiosk-news/kiosk/shared/platform/runs"
	"github.com/kiosk-news/kiosk/shared/platform/trigger"
)

// operations starts batches and lists and redrives dead letters through the
// AWS APIs (Lambda Invoke, SQS), the same calls in AWS and against the local
// cloud; the topology's OperationsEnv says which functions and queues exist.
// Invoke is signed by shared/platform/invoke, not sent through the SDK's
// lambda client, whose service model put admin-ops over 8 MiB on arm64.
type operations struct {
	targets contract.Operations
	lambda  map[string]*invoke.Function // targets.Functions'
	sqs     *sqs.Client
	runs    dynamo.Table
	now     func() time.Time
}

func newOperations(cfg aws.Config, t contract.Operations, runsTable dynamo.Table, now func() time.Time) *operations {
	return &operations{
		targets: t,
		lambda:  invoke.Targets(cfg, t.Functions),
		sqs:     sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = awsenv.Endpoint("SQS") }),
		runs:    runsTable,
		now:     now,
	}
}

// console is the operators' part of the admin console.
type console struct {
	site *web.Site
	ops  *operations
	now  func() time.Time
	// region is the AWS region, for the operator's "where am I".
	region string
}

type view = web.View

func (c *console) routes() *http.ServeMux {
	mux := http.NewServeMux()
	// Operators only: batches and dead letters.
	mux.Handle("GET /admin/batches", c.site.Operator(c.batches))
	mux.Handle("POST /admin/batches/{name}/run", c.site.Operator(c.runBatch))
	mux.Handle("GET /admin/dead-letters", c.site.Operator(c.deadLetters))
	mux.Handle("POST /admin/dead-letters/redrive", c.site.Operator(c.redrive))
	mux.Handle("POST /admin/dead-letters/redrive-all", c.site.Operator(c.redriveAll))
	return mux
}

func (c *console) batches(w http.ResponseWriter, r *http.Request, v view) {
	var body web.Nodes
	for _, f := range c.ops.targets.Batches {
		recent, err := runs.Recent(r.Context(), c.ops.runs, f.Name, 5, c.now())
		if err != nil {
			c.site.Fail(w, r, v, err)
			return
		}
		var schedules web.Nodes
		for _, s := range f.Schedules {
			schedules = append(schedules, web.E("code", nil, web.T(s[0])), web.T(" — "+s[1]), web.E("br", nil))
		}
		var rows []web.Node
		for _, run := range recent {
			status := run.Status
			if run.Error != "" {
				status += ": " + run.Error
			}
			var counts []string
			for _, k := range slices.Sorted(maps.Keys(run.Counts)) {
				counts = append(counts, fmt.Sprintf("%s %d", k, run.Counts[k]))
			}
			rows = append(rows, web.Row(web.At(web.A("class", "run-"+run.Status)),
				[]string{web.When(run.Started), run.Trigger, status, fmt.Sprintf("%.0f ms", run.DurationMS), strings.Join(counts, ", ")}))
		}
		body = append(body, web.E("section", web.At(web.A("class", "card batch"), web.A("id", "b-"+f.Name)),
			web.E("h2", nil, web.T(f.Name)),
			web.E("p", nil, web.T(f.Description)),
			web.E("p", nil, schedules...),
			web.PostForm("/admin/batches/"+f.Name+"/run", v.CSRF, nil, web.E("button", web.At(web.A("type", "submit")), web.T("Run now"))),
			web.Table("runs", []string{"Started", "Trigger", "Status", "Duration", "Counts"}, rows, "No runs recorded yet.")))
	}
	if s := r.URL.Query().Get("started"); s != "" {
		v.Notice = "Started " + s + "; its run appears here when it ends (reload)."
	}
	v.Title, v.Nav, v.Body = "Batches", "batches", body
	c.site.Render(w, r, http.StatusOK, v)
}

// invoke starts a function asynchronously, as EventBridge would.
func (o *operations) invoke(ctx context.Context, function string, payload []byte) error {
	f, ok := o.lambda[function]
	if !ok {
		return kiosk.Errorf(kiosk.ENOTFOUND, "no asynchronous function %q", function)
	}
	return f.Start(ctx, payload)
}

func (c *console) runBatch(w http.ResponseWriter, r *http.Request, v view) {
	name := r.PathValue("name")
	known := false
	for _, f := range c.ops.targets.Batches {
		known = known || f.Name == name
	}
	if !known {
		c.site.Fail(w, r, v, kiosk.Errorf(kiosk.ENOTFOUND, "no batch %q", name))
		return
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	event, _ := json.Marshal(map[string]any{
		"version": "0", "id": hex.EncodeToString(id), "detail-type": trigger.ScheduledType, "source": trigger.ManualSource,
		"account": "", "time": c.now().UTC().Format(time.RFC3339), "region": c.region,
		"resources": []string{}, "detail": map[string]any{},
	})
	if err := c.ops.invoke(r.Context(), name, event); err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	if err := c.site.Audit(r, v, "batch.run", name, nil, map[string]string{"event_id": hex.EncodeToString(id)}); err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/admin/batches?started="+name, http.StatusSeeOther)
}

// deadLetter is one message of a function's dead-letter queue: a Lambda
// on-failure record (requestPayload is the event) or, from an EventBridge
// target, the event itself.
type deadLetter struct {
	Function, MessageID, Receipt string
	At                           time.Time
	DetailType, Source, Error    string
	Attempts                     int
	Event                        json.RawMessage
}

func parseDeadLetter(function, id, receipt, body string, attrs map[string]string) deadLetter {
	d := deadLetter{Function: function, MessageID: id, Receipt: receipt, Event: json.RawMessage(body)}
	var rec struct {
		Timestamp      time.Time `json:"timestamp"`
		RequestContext struct {
			Condition              string `json:"condition"`
			ApproximateInvokeCount int    `json:"approximateInvokeCount"`
		} `json:"requestContext"`
		RequestPayload  json.RawMessage `json:"requestPayload"`
		ResponsePayload struct {
			ErrorMessage string `json:"errorMessage"`
			ErrorType    string `json:"errorType"`
		} `json:"responsePayload"`
	}
	if json.Unmarshal([]byte(body), &rec) == nil && len(rec.RequestPayload) > 0 {
		d.Event, d.At, d.Attempts = rec.RequestPayload, rec.Timestamp, rec.RequestContext.ApproximateInvokeCount
		d.Error = strings.TrimSpace(rec.ResponsePayload.ErrorType + ": " + rec.ResponsePayload.ErrorMessage)
		if rec.ResponsePayload.ErrorMessage == "" {
			d.Error = rec.RequestContext.Condition
		}
	} else {
		d.Error = attrs["ERROR_CODE"] + " " + attrs["ERROR_MESSAGE"]
	}
	var ev struct {
		DetailType string    `json:"detail-type"`
		Source     string    `json:"source"`
		Time       time.Time `json:"time"`
	}
	if json.Unmarshal(d.Event, &ev) == nil {
		d.DetailType, d.Source = ev.DetailType, ev.Source
		if d.At.IsZero() {
			d.At = ev.Time
		}
	}
	return d
}

// receive reads up to 10 messages of a function's queue without hiding
// them (visibility 0): listing is not consuming.
func (o *operations) receive(ctx context.Context, function string) ([]deadLetter, error) {
	q, ok := o.targets.Queues[function]
	if !ok {
		return nil, kiosk.Errorf(kiosk.ENOTFOUND, "no dead-letter queue for %q", function)
	}
	out, err := o.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), MaxNumberOfMessages: 10,
		VisibilityTimeout: 0, WaitTimeSeconds: 0, MessageSystemAttributeNames: nil, MessageAttributeNames: []string{"All"}})
	if err != nil {
		return nil, fmt.Errorf("receive %s dead letters: %w", function, err)
	}
	var list []deadLetter
	for _, m := range out.Messages {
		attrs := map[string]string{}
		for k, v := range m.MessageAttributes {
			attrs[k] = aws.ToString(v.StringValue)
		}
		list = append(list, parseDeadLetter(function, aws.ToString(m.MessageId), aws.ToString(m.ReceiptHandle), aws.ToString(m.Body), attrs))
	}
	return list, nil
}

func (c *console) deadLetters(w http.ResponseWriter, r *http.Request, v view) {
	names := make([]string, 0, len(c.ops.targets.Queues))
	for n := range c.ops.targets.Queues {
		names = append(names, n)
	}
	sort.Strings(names)
	var all []deadLetter
	for _, n := range names {
		list, err := c.ops.receive(r.Context(), n)
		if err != nil {
			c.site.Fail(w, r, v, err)
			return
		}
		all = append(all, list...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].At.After(all[j].At) })
	if s := r.URL.Query().Get("redriven"); s != "" {
		v.Notice = "Redriven to " + s + "."
		if n := r.URL.Query().Get("count"); n != "" {
			v.Notice = "Redriven " + n + " to " + s + "."
		}
	}
	var rows []web.Node
	for _, d := range all {
		rows = append(rows, web.E("tr", nil,
			web.E("td", nil, web.T(web.When(d.At))), web.E("td", nil, web.T(d.Function)),
			web.E("td", nil, web.T(d.DetailType+" "), web.E("small", nil, web.T(d.Source))),
			web.E("td", nil, web.T(strconv.Itoa(d.Attempts))), web.E("td", web.At(web.A("class", "wrap")), web.T(d.Error)),
			web.E("td", nil, web.PostForm("/admin/dead-letters/redrive", v.CSRF, nil, web.Hidden("function", d.Function),
				web.Hidden("message", d.MessageID), web.E("button", web.At(web.A("type", "submit")), web.T("Redrive"))))))
	}
	// One "Redrive all" per function that has dead letters: after an
	// incident there are more than a page holds.
	var buttons web.Nodes
	seen := map[string]bool{}
	for _, d := range all {
		if !seen[d.Function] {
			seen[d.Function] = true
			buttons = append(buttons, web.PostForm("/admin/dead-letters/redrive-all", v.CSRF, []web.Attr{web.A("class", "inline")},
				web.Hidden("function", d.Function), web.E("button", web.At(web.A("type", "submit")), web.T("Redrive all of "+d.Function))))
		}
	}
	v.Title, v.Nav = "Dead letters", "dead-letters"
	v.Body = web.Nodes{
		web.E("p", nil, web.T("Events whose delivery failed after every retry, per function (up to 10 each). Redrive invokes the function again with the same event; Redrive all does so for every dead letter of the function, up to "+strconv.Itoa(redriveAllMax)+" a click.")),
		web.E("div", web.At(web.A("class", "redrive-all")), buttons...),
		web.Table("dead-letters", []string{"When", "Function", "Event", "Attempts", "Error", ""}, rows, "No dead letters."),
	}
	c.site.Render(w, r, http.StatusOK, v)
}

// redrive invokes the function again with the failed event, then deletes
// the message: at least once (a crash in between leaves it to redrive again;
// consumers are idempotent).
func (c *console) redrive(w http.ResponseWriter, r *http.Request, v view) {
	function, id := r.PostForm.Get("function"), r.PostForm.Get("message")
	q, ok := c.ops.targets.Queues[function]
	if !ok || id == "" {
		c.site.Fail(w, r, v, kiosk.Errorf(kiosk.EINVALID, "unknown function or message"))
		return
	}
	var found *deadLetter
	for range 3 {
		list, err := c.ops.receive(r.Context(), function)
		if err != nil {
			c.site.Fail(w, r, v, err)
			return
		}
		for i := range list {
			if list[i].MessageID == id {
				found = &list[i]
			}
		}
		if found != nil {
			break
		}
	}
	if found == nil {
		c.site.Fail(w, r, v, kiosk.Errorf(kiosk.ENOTFOUND, "that dead letter is gone (already redriven?); reload the list"))
		return
	}
	if err := c.ops.invoke(r.Context(), function, found.Event); err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	if _, err := c.ops.sqs.DeleteMessage(r.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(q), ReceiptHandle: aws.String(found.Receipt)}); err != nil {
		c.site.Fail(w, r, v, fmt.Errorf("the event was redriven but its dead letter stays: %w", err))
		return
	}
	if err := c.site.Audit(r, v, "dead-letter.redrive", function, map[string]string{"message": id, "detail_type": found.DetailType, "error": found.Error},
		map[string]string{"redriven": "1"}); err != nil {
		c.site.Fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/admin/dead-letters?redriven="+function, http.StatusSeeOther)
}

// redriveAllMax bounds one Redrive all: a function failing again at once
// puts its letters back, and one request must end well within its timeout.
const redriveAllMax = 100

// redriveAll redrives every dead letter of a function, ten at a time, each
// invoked and then deleted (at least once, like redrive), until the queue is
// empty, redriveAllMax are done or the request's time is nearly up.
func (c *console) redriveAll(w http.ResponseWriter, r *http.Request, v view) {
	function := r.PostForm.Get("function")
	q, ok := c.ops.targets.Queues[function]
	if !ok {
		c.site.Fail(w, r, v, kiosk.Errorf(kiosk.EINVALID, "unknown function"))
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	done, seen := 0, map[string]bool{}
	// Whatever happens below, what was redriven is audited.
	defer func() {
		if done > 0 {
			if err := c.site.Audit(r, v, "dead-letter.redrive-all", function, nil, map[string]int{"redriven": done}); err != nil {
				slog.ErrorContext(r.Context(), "redrive-all not audited", "function", function, "redriven", done, "error", err)
			}
		}
	}()
	for done < redriveAllMax && time.Now().Before(deadline) {
		list, err := c.ops.receive(r.Context(), function)
		if err != nil {
			c.site.Fail(w, r, v, fmt.Errorf("after %d redriven: %w", done, err))
			return
		}
		fresh := 0
		for _, d := range list {
			if seen[d.MessageID] || done >= redriveAllMax {
				continue // SQS may hand a message back before its delete lands
			}
			seen[d.MessageID] = true
			fresh++
			if err := c.ops.invoke(r.Context(), function, d.Event); err != nil {
				c.site.Fail(w, r, v, fmt.Errorf("after %d redriven: %w", done, err))
				return
			}
			if _, err := c.ops.sqs.DeleteMessage(r.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(q), ReceiptHandle: aws.String(d.Receipt)}); err != nil {
				c.site.Fail(w, r, v, fmt.Errorf("after %d redriven, one was redriven but its dead letter stays: %w", done, err))
				return
			}
			done++
		}
		if fresh == 0 {
			break
		}
	}
	http.Redirect(w, r, "/admin/dead-letters?redriven="+url.QueryEscape(function)+"&count="+strconv.Itoa(done), http.StatusSeeOther)
}
