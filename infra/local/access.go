package local

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/kiosk-news/kiosk/infra/topology"
)

// Every function instance signs its AWS calls with the access key
// "local-<function>"; the local endpoints check each call against that
// function's grants in the topology — the same declarations the CDK policies
// come from — and refuse what AWS would refuse, as AWS does.
const functionKeyPrefix = "local-"

var credentialRe = regexp.MustCompile(`Credential=([^/,\s]+)/`)

// caller returns the function whose credentials signed r; ok is false for
// anyone else (the developer's tools and tests, which are not limited).
func caller(r *http.Request) (string, bool) {
	m := credentialRe.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil || !strings.HasPrefix(m[1], functionKeyPrefix) {
		return "", false
	}
	return strings.TrimPrefix(m[1], functionKeyPrefix), true
}

// accessDenied answers as the service does when IAM refuses: 400 over the
// JSON protocols (DynamoDB, EventBridge, Secrets Manager), 403 over Lambda's
// REST API (status).
func accessDenied(w http.ResponseWriter, status int, contentType, fn, action, resource string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
	w.WriteHeader(status)
	msg := fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/%s-role/%s is not authorized to perform: %s on resource: %s "+
		"because no identity-based policy allows the %s action", Account, fn, fn, action, resource, action)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazon.coral.service#AccessDeniedException", "message": msg, "Message": msg})
}

// dynamoGuard is the functions' DynamoDB endpoint: a proxy to dynalite that
// lets each call through only if the calling function's grants allow the
// action on every table it names.
type dynamoGuard struct {
	faults  *faultState
	meter   *meter
	cloud   topology.Cloud
	logical map[string]string // physical table name → logical
	proxy   *httputil.ReverseProxy
}

func newDynamoGuard(cloud topology.Cloud, dynalite string, physical func(string) string) (*dynamoGuard, error) {
	u, err := url.Parse(dynalite)
	if err != nil {
		return nil, err
	}
	g := &dynamoGuard{cloud: cloud, logical: map[string]string{}, proxy: httputil.NewSingleHostReverseProxy(u)}
	for _, t := range cloud.Tables {
		g.logical[physical(t.Name)] = t.Name
	}
	return g, nil
}

func (g *dynamoGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fn, isFunction := caller(r)
	if !isFunction {
		g.proxy.ServeHTTP(w, r)
		return
	}
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req struct {
		TableName    string                     `json:"TableName"`
		RequestItems map[string]json.RawMessage `json:"RequestItems"`
	}
	_ = json.Unmarshal(body, &req)
	tables := []string{}
	if req.TableName != "" {
		tables = append(tables, req.TableName)
	}
	for t := range req.RequestItems {
		tables = append(tables, t)
	}
	f, _ := g.cloud.Function(fn)
	action := "dynamodb:" + op
	if len(tables) == 0 {
		accessDenied(w, http.StatusBadRequest, "application/x-amz-json-1.0", fn, action, "arn:aws:dynamodb:"+Region+":"+Account+":table/*")
		return
	}
	for _, t := range tables {
		if !granted(f, g.logical[t], op) {
			accessDenied(w, http.StatusBadRequest, "application/x-amz-json-1.0", fn, action, "arn:aws:dynamodb:"+Region+":"+Account+":table/"+t)
			return
		}
	}
	if g.faults != nil && injectDynamo(g.faults.dynamo(), w, r, g.proxy) {
		return
	}
	if g.meter != nil && g.meter.enabled() {
		g.meter.serve(fn, op, body, w, r, g.proxy)
		return
	}
	g.proxy.ServeHTTP(w, r)
}

// granted says whether f's grant on the logical table allows the operation.
func granted(f topology.Function, table, op string) bool {
	for _, gr := range f.Grants {
		if gr.Table == table && slices.Contains(topology.DynamoActions(gr.Access), op) {
			return true
		}
	}
	return false
}
