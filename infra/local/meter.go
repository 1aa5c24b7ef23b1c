package local

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
)

// DynamoUsage is what one function's DynamoDB calls consumed, as dynalite
// reports it: every metered call asks for ReturnConsumedCapacity TOTAL, and
// dynalite computes the units as DynamoDB does for the base table (reads per
// 4 KB, halved when eventually consistent; writes per 1 KB, the larger of the
// old and the new item). A write refused by its condition returns no units
// from dynalite; DynamoDB charges it, so the meter counts it as one write unit
// (its item's size is not known here). Dynalite leaves out the units of global
// secondary index writes (DynamoDB charges them too), so the write units are
// a lower bound; it reports none for DescribeTable and the like. Items counts
// the items written or read back.
type DynamoUsage struct {
	Calls      int            `json:"calls"`
	ByOp       map[string]int `json:"by_op"`
	ReadUnits  float64        `json:"read_units"`
	WriteUnits float64        `json:"write_units"`
	Items      int            `json:"items"`
	QueryItems int            `json:"query_items"` // items Query calls returned
}

// meter accumulates DynamoUsage per function while on.
type meter struct {
	mu    sync.Mutex
	on    bool
	usage map[string]*DynamoUsage
}

// MeterDynamo starts (or restarts, from zero) metering the functions'
// DynamoDB calls. Metering adds ReturnConsumedCapacity to each call, which
// only adds the ConsumedCapacity field to its answer.
func (c *Cloud) MeterDynamo() {
	c.meter.mu.Lock()
	defer c.meter.mu.Unlock()
	c.meter.on, c.meter.usage = true, map[string]*DynamoUsage{}
}

// DynamoUsage is what each function consumed since MeterDynamo.
func (c *Cloud) DynamoUsage() map[string]DynamoUsage {
	c.meter.mu.Lock()
	defer c.meter.mu.Unlock()
	out := map[string]DynamoUsage{}
	for fn, u := range c.meter.usage {
		cp := *u
		cp.ByOp = map[string]int{}
		for k, v := range u.ByOp {
			cp.ByOp[k] = v
		}
		out[fn] = cp
	}
	return out
}

func (m *meter) enabled() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.on
}

// serve forwards one metered call of fn and records what it consumed.
func (m *meter) serve(fn, op string, body []byte, w http.ResponseWriter, r *http.Request, next http.Handler) {
	var req map[string]json.RawMessage
	if json.Unmarshal(body, &req) == nil {
		if _, set := req["ReturnConsumedCapacity"]; !set {
			req["ReturnConsumedCapacity"] = json.RawMessage(`"TOTAL"`)
			if b, err := json.Marshal(req); err == nil {
				body = b
			}
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	// The answer is held until its use is recorded: a function that has its
	// answer has been counted, so a measurement that starts (MeterDynamo)
	// after a request's answer never counts that request's last call.
	rec := &recorder{ResponseWriter: w}
	defer rec.send()
	next.ServeHTTP(rec, r)
	var resp struct {
		ConsumedCapacity json.RawMessage  `json:"ConsumedCapacity"`
		Count            int              `json:"Count"`
		Item             json.RawMessage  `json:"Item"`
		Responses        map[string][]any `json:"Responses"`
	}
	_ = json.Unmarshal(rec.body.Bytes(), &resp)
	refused := rec.status == http.StatusBadRequest && bytes.Contains(rec.body.Bytes(), []byte("ConditionalCheckFailed"))
	var caps []struct {
		CapacityUnits float64 `json:"CapacityUnits"`
	}
	if len(resp.ConsumedCapacity) > 0 && resp.ConsumedCapacity[0] == '[' {
		_ = json.Unmarshal(resp.ConsumedCapacity, &caps)
	} else if len(resp.ConsumedCapacity) > 0 {
		caps = make([]struct {
			CapacityUnits float64 `json:"CapacityUnits"`
		}, 1)
		_ = json.Unmarshal(resp.ConsumedCapacity, &caps[0])
	}
	units := 0.0
	for _, c := range caps {
		units += c.CapacityUnits
	}
	items := resp.Count
	if len(resp.Item) > 0 {
		items++
	}
	for _, rs := range resp.Responses {
		items += len(rs)
	}
	if op == "PutItem" || op == "UpdateItem" || op == "DeleteItem" {
		items = 1
		if refused {
			units = 1
		}
	}
	if op == "BatchWriteItem" {
		var w struct {
			RequestItems map[string][]any `json:"RequestItems"`
		}
		_ = json.Unmarshal(body, &w)
		for _, rs := range w.RequestItems {
			items += len(rs)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.usage[fn]
	if u == nil {
		u = &DynamoUsage{ByOp: map[string]int{}}
		m.usage[fn] = u
	}
	u.Calls++
	u.ByOp[op]++
	u.Items += items
	if op == "Query" {
		u.QueryItems += items
	}
	switch op {
	case "GetItem", "BatchGetItem", "Query", "Scan":
		u.ReadUnits += units
	default:
		u.WriteUnits += units
	}
}

// recorder holds an answer (its headers go to the real writer's map, not
// sent yet) until send passes it on.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *recorder) send() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.ResponseWriter.WriteHeader(r.status)
	_, _ = r.ResponseWriter.Write(r.body.Bytes())
}
