package stack_test

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/kiosk-news/kiosk/infra/stack"
	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
)

var (
	dist string
	out  string // synth output folders live here for the whole run
)

// TestMain builds the deployable zips with the project's build command, so the
// template is synthesized from the real assets.
func TestMain(m *testing.M) {
	os.Exit(func() int {
		root, err := dynamotest.Root()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		tmp, err := os.MkdirTemp("", "kiosk-stack-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(tmp)
		dist, out = filepath.Join(tmp, "dist"), filepath.Join(tmp, "out")
		build := exec.Command("go", "run", "./infra/cmd/build", "-arm64", "-out", dist)
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "make dist: %v\n%s", err, out)
			return 1
		}
		defer jsii.Close()
		return m.Run()
	}())
}

// synth builds a stack for cloud with the nag packs on and returns it and its
// template as plain JSON.
func synth(t *testing.T, cloud topology.Cloud, stage string) (awscdk.Stack, map[string]any) {
	t.Helper()
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(out, "cdk-")
	if err != nil {
		t.Fatal(err)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(dir)})
	s, err := stack.New(app, "Kiosk-"+stage, cloud, stack.Props{Stage: stage, Dist: dist, Origins: []string{"https://app.example"}})
	if err != nil {
		t.Fatal(err)
	}
	stack.Check(app)
	tmpl := assertions.Template_FromStack(s, nil).ToJSON()
	b, err := json.Marshal(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return s, out
}

var (
	once     = map[string]map[string]any{}
	stacks   = map[string]awscdk.Stack{}
	kioskDev = func(t *testing.T) map[string]any { return cached(t, "dev") }
)

func cached(t *testing.T, stage string) map[string]any {
	t.Helper()
	if tmpl, ok := once[stage]; ok {
		return tmpl
	}
	s, tmpl := synth(t, topology.Kiosk(), stage)
	once[stage], stacks[stage] = tmpl, s
	return tmpl
}

type resource struct {
	ID        string
	Type      string
	Props     map[string]any
	Deletion  string
	DependsOn any
}

func resources(tmpl map[string]any, typ string) []resource {
	var out []resource
	for id, r := range tmpl["Resources"].(map[string]any) {
		m := r.(map[string]any)
		if m["Type"] != typ {
			continue
		}
		props, _ := m["Properties"].(map[string]any)
		del, _ := m["DeletionPolicy"].(string)
		out = append(out, resource{ID: id, Type: typ, Props: props, Deletion: del, DependsOn: m["DependsOn"]})
	}
	return out
}

func ref(v any) string {
	if m, ok := v.(map[string]any); ok {
		if r, ok := m["Ref"].(string); ok {
			return r
		}
		if g, ok := m["Fn::GetAtt"].([]any); ok {
			return g[0].(string)
		}
	}
	return ""
}

// function finds the Lambda, its alias and its role for a topology function.
func function(t *testing.T, tmpl map[string]any, name string) (fn, alias resource, roleID string) {
	t.Helper()
	for _, f := range resources(tmpl, "AWS::Lambda::Function") {
		if env, ok := f.Props["Environment"].(map[string]any); ok && env["Variables"].(map[string]any)["KIOSK_FUNCTION"] == name {
			fn = f
		}
	}
	if fn.ID == "" {
		t.Fatalf("no Lambda for %s", name)
	}
	for _, a := range resources(tmpl, "AWS::Lambda::Alias") {
		if ref(a.Props["FunctionName"]) == fn.ID {
			alias = a
		}
	}
	return fn, alias, ref(fn.Props["Role"])
}

func TestEveryFunctionIsAnArmLambdaWithALiveAlias(t *testing.T) {
	tmpl := kioskDev(t)
	cloud := topology.Kiosk()
	if got := len(resources(tmpl, "AWS::Lambda::Function")); got != len(cloud.Functions) {
		t.Errorf("%d Lambda functions, want %d", got, len(cloud.Functions))
	}
	for _, f := range cloud.Functions {
		t.Run(f.Name, func(t *testing.T) {
			fn, alias, _ := function(t, tmpl, f.Name)
			p := fn.Props
			if p["Runtime"] != "provided.al2023" || p["Handler"] != "bootstrap" || !slices.Equal(toStrings(p["Architectures"]), []string{"arm64"}) {
				t.Errorf("runtime/handler/arch = %v/%v/%v", p["Runtime"], p["Handler"], p["Architectures"])
			}
			if p["MemorySize"].(float64) != float64(f.MemoryMB) || p["Timeout"].(float64) != f.Timeout.Seconds() {
				t.Errorf("memory/timeout = %v/%v, want %d/%v", p["MemorySize"], p["Timeout"], f.MemoryMB, f.Timeout.Seconds())
			}
			if lc := p["LoggingConfig"].(map[string]any); lc["LogFormat"] != "JSON" || ref(lc["LogGroup"]) == "" {
				t.Errorf("logging = %v, want JSON to its own log group", lc)
			}
			if alias.ID == "" || alias.Props["Name"] != "live" || ref(alias.Props["FunctionVersion"]) == "" && alias.Props["FunctionVersion"] == nil {
				t.Errorf("alias = %+v, want live on a published version", alias)
			}
			if got, _ := p["ReservedConcurrentExecutions"].(float64); int(got) != f.Concurrency {
				t.Errorf("reserved concurrency = %v, want %d", p["ReservedConcurrentExecutions"], f.Concurrency)
			}
			if len(f.Routes) > 0 && f.Timeout >= 30*time.Second {
				t.Errorf("API function timeout %s is not under API Gateway's 30 s", f.Timeout)
			}
		})
	}
	for _, lg := range resources(tmpl, "AWS::Logs::LogGroup") {
		if lg.Props["RetentionInDays"] == nil {
			t.Errorf("log group %s keeps logs forever", lg.ID)
		}
	}
}

func TestEveryRouteTargetsItsFunctionsAlias(t *testing.T) {
	tmpl := kioskDev(t)
	routes := map[string]resource{}
	for _, r := range resources(tmpl, "AWS::ApiGatewayV2::Route") {
		routes[r.Props["RouteKey"].(string)] = r
	}
	integrations := map[string]resource{}
	for _, i := range resources(tmpl, "AWS::ApiGatewayV2::Integration") {
		integrations[i.ID] = i
	}
	declared := topology.Kiosk().Routes()
	if len(routes) != len(declared) {
		t.Errorf("%d routes in the template, %d declared", len(routes), len(declared))
	}
	for _, r := range declared {
		route, ok := routes[r.Key()]
		if !ok {
			t.Errorf("route %s is missing", r.Key())
			continue
		}
		authorizers := map[string]resource{}
		for _, a := range resources(tmpl, "AWS::ApiGatewayV2::Authorizer") {
			authorizers[a.ID] = a
		}
		if !r.Auth.Authorized() {
			if at, _ := route.Props["AuthorizationType"].(string); at != "" && at != "NONE" {
				t.Errorf("unauthorized (public or console) route %s has authorization %v", r.Key(), at)
			}
		} else {
			a := authorizers[ref(route.Props["AuthorizerId"])]
			if route.Props["AuthorizationType"] != "CUSTOM" || a.Props["Name"] != string(r.Auth) ||
				a.Props["EnableSimpleResponses"] != true || a.Props["AuthorizerResultTtlInSeconds"].(float64) != topology.AuthorizerCacheTTL.Seconds() {
				t.Errorf("%s (%s) is guarded by %v / %+v", r.Key(), r.Auth, route.Props["AuthorizationType"], a.Props)
			}
		}
		target := route.Props["Target"].(map[string]any)["Fn::Join"].([]any)[1].([]any)
		integ := integrations[ref(target[1])]
		_, alias, _ := function(t, tmpl, r.Function)
		if ref(integ.Props["IntegrationUri"]) != alias.ID || integ.Props["PayloadFormatVersion"] != "2.0" {
			t.Errorf("%s integrates %v, want %s's live alias with payload 2.0", r.Key(), integ.Props, r.Function)
		}
	}
}

func TestRolesAreLimitedToTheDeclaredGrants(t *testing.T) {
	tmpl := kioskDev(t)
	tableByID := map[string]string{}
	for id, o := range tmpl["Outputs"].(map[string]any) {
		if strings.HasSuffix(id, "TableName") {
			tableByID[ref(o.(map[string]any)["Value"])] = strings.TrimSuffix(id, "TableName")
		}
	}
	policies := resources(tmpl, "AWS::IAM::Policy")
	for _, f := range topology.Kiosk().Functions {
		t.Run(f.Name, func(t *testing.T) {
			_, _, roleID := function(t, tmpl, f.Name)
			granted := map[string]topology.Access{}
			for _, g := range f.Grants {
				granted[stack.LogicalID(g.Table)] = g.Access
			}
			for _, p := range policies {
				if !slices.ContainsFunc(p.Props["Roles"].([]any), func(r any) bool { return ref(r) == roleID }) {
					continue
				}
				for _, st := range p.Props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
					st := st.(map[string]any)
					actions := toStrings(st["Action"])
					res := st["Resource"]
					if s, ok := res.(string); ok && strings.Contains(s, "*") {
						t.Errorf("wildcard resource %q for %v", s, actions)
					}
					for _, a := range actions {
						switch {
						case strings.HasPrefix(a, "dynamodb:"):
							// The table's ARN, then its declared indexes' ARNs
							// (Fn::Join of the table ARN and "/index/<name>").
							list, isList := res.([]any)
							if !isList {
								list = []any{res}
							}
							table := tableByID[ref(list[0])]
							access, ok := granted[table]
							if !ok {
								t.Errorf("%s on table %q, which %s was not granted", a, table, f.Name)
							}
							for _, extra := range list[1:] {
								parts := extra.(map[string]any)["Fn::Join"].([]any)[1].([]any)
								if tableByID[ref(parts[0])] != table || !strings.HasPrefix(parts[1].(string), "/index/") {
									t.Errorf("%s on an unexpected resource %v", a, extra)
								}
							}
							if access == topology.Read && slices.Contains([]string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}, a) {
								t.Errorf("%s may %s on %s, but its grant is read-only", f.Name, a, table)
							}
							if access == topology.Write && slices.Contains([]string{"dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchGetItem"}, a) {
								t.Errorf("%s may %s on %s, but its grant is write-only", f.Name, a, table)
							}
						case a == "events:PutEvents":
							if len(f.Publishes) == 0 {
								t.Errorf("%s may PutEvents but publishes nothing", f.Name)
							}
						case a == "lambda:InvokeFunction":
							if !f.Operator {
								t.Errorf("%s may invoke functions but is no operator", f.Name)
							}
						case strings.HasPrefix(a, "logs:"), strings.HasPrefix(a, "sqs:"), a == "secretsmanager:GetSecretValue":
						default:
							t.Errorf("%s has an undeclared action %s", f.Name, a)
						}
					}
				}
			}
		})
	}
}

func TestAsyncTargetsRetryAndDeadLetter(t *testing.T) {
	tmpl := kioskDev(t)
	rules := resources(tmpl, "AWS::Events::Rule")
	want := 0
	for _, f := range topology.Kiosk().Functions {
		want += len(f.Rules) + len(f.Schedules)
	}
	if len(rules) != want {
		t.Errorf("%d rules, want %d (one per declared rule and schedule)", len(rules), want)
	}
	for _, r := range rules {
		for _, tg := range r.Props["Targets"].([]any) {
			tg := tg.(map[string]any)
			if tg["DeadLetterConfig"] == nil || tg["RetryPolicy"] == nil {
				t.Errorf("rule %s target lacks a DLQ or retry policy: %v", r.ID, tg)
			}
		}
	}
	configs := resources(tmpl, "AWS::Lambda::EventInvokeConfig")
	for _, f := range topology.Kiosk().Functions {
		if !f.Async() {
			continue
		}
		fn, _, _ := function(t, tmpl, f.Name)
		found := false
		for _, c := range configs {
			if ref(c.Props["FunctionName"]) == fn.ID {
				found = c.Props["MaximumRetryAttempts"] != nil && c.Props["DestinationConfig"].(map[string]any)["OnFailure"] != nil
			}
		}
		if !found {
			t.Errorf("%s is invoked asynchronously but has no EventInvokeConfig with retries and an on-failure destination", f.Name)
		}
	}
	for _, q := range resources(tmpl, "AWS::SQS::Queue") {
		if q.Props["SqsManagedSseEnabled"] != true {
			t.Errorf("queue %s is not encrypted", q.ID)
		}
	}
	alarmed := 0
	for _, a := range resources(tmpl, "AWS::CloudWatch::Alarm") {
		if a.Props["MetricName"] == "ApproximateNumberOfMessagesVisible" {
			alarmed++
		}
	}
	if alarmed != len(resources(tmpl, "AWS::SQS::Queue")) {
		t.Errorf("%d queue-depth alarms for %d queues", alarmed, len(resources(tmpl, "AWS::SQS::Queue")))
	}
}

// TestEveryRuleCarriesItsGeneratedPattern: each declared rule is one
// EventBridge rule whose pattern is the topology's generated JSON, the one the
// local bus matches.
func TestEveryRuleCarriesItsGeneratedPattern(t *testing.T) {
	byDescription := map[string]any{}
	for _, r := range resources(kioskDev(t), "AWS::Events::Rule") {
		if d, ok := r.Props["Description"].(string); ok && r.Props["EventPattern"] != nil {
			byDescription[d] = r.Props["EventPattern"]
		}
	}
	for _, f := range topology.Kiosk().Functions {
		for _, r := range f.Rules {
			got, ok := byDescription[f.Name+": "+r.Name]
			if !ok {
				t.Errorf("%s/%s has no EventBridge rule in the template", f.Name, r.Name)
				continue
			}
			var want any
			if err := json.Unmarshal([]byte(r.Pattern()), &want); err != nil {
				t.Fatal(err)
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Errorf("%s/%s: the template's pattern is %s, the topology's %s", f.Name, r.Name, g, w)
			}
		}
	}
}

func TestTablesByStage(t *testing.T) {
	for _, stage := range []string{"dev", "prod"} {
		t.Run(stage, func(t *testing.T) {
			tmpl := cached(t, stage)
			tables := resources(tmpl, "AWS::DynamoDB::Table")
			if len(tables) != len(topology.Kiosk().Tables) {
				t.Fatalf("%d tables, want %d", len(tables), len(topology.Kiosk().Tables))
			}
			for _, tb := range tables {
				p := tb.Props
				if p["BillingMode"] != "PAY_PER_REQUEST" {
					t.Errorf("%s billing = %v", tb.ID, p["BillingMode"])
				}
				if pitr, _ := p["PointInTimeRecoverySpecification"].(map[string]any); pitr["PointInTimeRecoveryEnabled"] != true {
					t.Errorf("%s has no point-in-time recovery", tb.ID)
				}
				ttl, _ := p["TimeToLiveSpecification"].(map[string]any)
				declared := ""
				var indexes []string // each declared index as "name pk sk"
				for _, dt := range topology.Kiosk().Tables {
					if strings.HasPrefix(tb.ID, stack.LogicalID(dt.Name)+"Table") {
						declared = dt.TTL
						for _, ix := range dt.Indexes {
							keys := ix.Name + " " + ix.PartitionKey.Name
							if ix.SortKey != nil {
								keys += " " + ix.SortKey.Name
							}
							indexes = append(indexes, keys)
						}
					}
				}
				var built []string
				gsis, _ := p["GlobalSecondaryIndexes"].([]any)
				for _, g := range gsis {
					gm := g.(map[string]any)
					keys := []string{gm["IndexName"].(string)}
					for _, k := range gm["KeySchema"].([]any) {
						keys = append(keys, k.(map[string]any)["AttributeName"].(string))
					}
					if proj, _ := gm["Projection"].(map[string]any); proj["ProjectionType"] != "ALL" {
						t.Errorf("%s index %s projects %v, want ALL", tb.ID, keys[0], proj)
					}
					built = append(built, strings.Join(keys, " "))
				}
				slices.Sort(indexes)
				slices.Sort(built)
				if !slices.Equal(indexes, built) {
					t.Errorf("%s indexes = %v, declared %v", tb.ID, built, indexes)
				}
				if declared != "" && (ttl["AttributeName"] != declared || ttl["Enabled"] != true) || declared == "" && ttl != nil {
					t.Errorf("%s TTL = %v, declared %q", tb.ID, ttl, declared)
				}
				retain := stage == "prod"
				if (tb.Deletion == "Retain") != retain || (p["DeletionProtectionEnabled"] == true) != retain {
					t.Errorf("%s in %s: DeletionPolicy %q, protection %v", tb.ID, stage, tb.Deletion, p["DeletionProtectionEnabled"])
				}
			}
		})
	}
}

func TestStageThrottlesAndLogs(t *testing.T) {
	cloud := topology.Kiosk()
	cloud.Functions[0].Routes[0].Throttle = &topology.Throttle{Rate: 5, Burst: 10}
	_, tmpl := synth(t, cloud, "dev")
	stages := resources(tmpl, "AWS::ApiGatewayV2::Stage")
	if len(stages) != 1 {
		t.Fatalf("%d stages", len(stages))
	}
	p := stages[0].Props
	d := p["DefaultRouteSettings"].(map[string]any)
	if d["ThrottlingRateLimit"].(float64) != cloud.Throttle.Rate || d["ThrottlingBurstLimit"].(float64) != float64(cloud.Throttle.Burst) {
		t.Errorf("default throttle = %v", d)
	}
	r := p["RouteSettings"].(map[string]any)["GET /v1/health"].(map[string]any)
	if r["ThrottlingRateLimit"].(float64) != 5 || r["ThrottlingBurstLimit"].(float64) != 10 {
		t.Errorf("route throttle = %v, want 5/10", r)
	}
	if p["AccessLogSettings"] == nil {
		t.Error("no access log")
	}
	api := resources(tmpl, "AWS::ApiGatewayV2::Api")[0].Props
	if cors := api["CorsConfiguration"].(map[string]any); !slices.Equal(toStrings(cors["AllowOrigins"]), []string{"https://app.example"}) {
		t.Errorf("CORS = %v", cors)
	}
}

// TestNagFindsNoUnsuppressedError runs the AwsSolutions and Serverless packs.
func TestNagFindsNoUnsuppressedError(t *testing.T) {
	for _, stage := range []string{"dev", "prod"} {
		t.Run(stage, func(t *testing.T) {
			cached(t, stage)
			errs := assertions.Annotations_FromStack(stacks[stage]).FindError(jsii.String("*"), assertions.Match_AnyValue())
			for _, e := range *errs {
				t.Errorf("%s: %v", *e.Id, e.Entry.Data)
			}
		})
	}
}

// TestANewFunctionGetsEverything adds a function to the topology and checks
// that its Lambda, alias, route, rule, grant, alarms and dashboard widget appear
// with no other edit.
func TestANewFunctionGetsEverything(t *testing.T) {
	cloud := topology.Kiosk()
	cloud.Functions = append(cloud.Functions, topology.Function{
		Name: "extra-api", Domain: "health", Description: "scaffold check", MemoryMB: 128, Timeout: 5 * time.Second,
		Routes:    []topology.Route{{Method: "GET", Path: "/v1/extra/{id}", Auth: topology.Public}},
		Schedules: []topology.Schedule{{Expression: "cron(0 3 * * ? *)", Description: "nightly"}},
		Grants:    []topology.Grant{{Table: "health", Access: topology.ReadWrite}, {Table: topology.RunsTable, Access: topology.Write}},
	})
	src, err := os.Open(filepath.Join(dist, "health-api.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(filepath.Join(dist, "extra-api.zip"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	dst.Close()
	defer os.Remove(dst.Name())

	s, tmpl := synth(t, cloud, "dev")
	fn, alias, _ := function(t, tmpl, "extra-api")
	if alias.ID == "" || fn.Props["Environment"].(map[string]any)["Variables"].(map[string]any)["KIOSK_TABLE_HEALTH"] == nil {
		t.Error("the new function lacks its alias or its table variable")
	}
	found := false
	for _, r := range resources(tmpl, "AWS::ApiGatewayV2::Route") {
		found = found || r.Props["RouteKey"] == "GET /v1/extra/{id}"
	}
	if !found {
		t.Error("the new route is missing")
	}
	alarms := 0
	for _, a := range resources(tmpl, "AWS::CloudWatch::Alarm") {
		if dims, ok := a.Props["Dimensions"].([]any); ok {
			for _, d := range dims {
				if ref(d.(map[string]any)["Value"]) == fn.ID {
					alarms++
				}
			}
		}
	}
	if alarms < 3 {
		t.Errorf("%d alarms on the new function, want errors, throttles and duration", alarms)
	}
	dash, _ := json.Marshal(resources(tmpl, "AWS::CloudWatch::Dashboard")[0].Props)
	if !strings.Contains(string(dash), "extra-api") {
		t.Error("the dashboard has no widget for the new function")
	}
	if errs := assertions.Annotations_FromStack(s).FindError(jsii.String("*"), assertions.Match_AnyValue()); len(*errs) > 0 {
		t.Errorf("nag errors on the new function: %d", len(*errs))
	}
}

func toStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// TestOperatorsReachEveryAsyncFunction checks an operator function gets
// every asynchronous function's live alias and dead-letter queue in
// OperationsEnv, and the rights to invoke exactly those aliases.
func TestOperatorsReachEveryAsyncFunction(t *testing.T) {
	tmpl := cached(t, "dev")
	var async []string
	for _, f := range topology.Kiosk().Functions {
		if f.Async() {
			async = append(async, f.Name)
		}
	}
	for _, f := range topology.Kiosk().Functions {
		fn, _, roleID := function(t, tmpl, f.Name)
		ops, has := fn.Props["Environment"].(map[string]any)["Variables"].(map[string]any)[topology.OperationsEnv]
		if has != f.Operator {
			t.Errorf("%s: %s present %v, operator %v", f.Name, topology.OperationsEnv, has, f.Operator)
		}
		if !f.Operator {
			continue
		}
		// The value is an Fn::Join of the JSON with the aliases' and queues' tokens.
		joined, _ := json.Marshal(ops)
		for _, name := range async {
			if !strings.Contains(string(joined), `\"`+name+`\":`) {
				t.Errorf("%s: %s does not name %s", f.Name, topology.OperationsEnv, name)
			}
		}
		invoke := 0
		for _, p := range resources(tmpl, "AWS::IAM::Policy") {
			if !slices.ContainsFunc(p.Props["Roles"].([]any), func(r any) bool { return ref(r) == roleID }) {
				continue
			}
			for _, st := range p.Props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				st := st.(map[string]any)
				if slices.Contains(toStrings(st["Action"]), "lambda:InvokeFunction") {
					invoke = len(st["Resource"].([]any))
				}
			}
		}
		if invoke != len(async) {
			t.Errorf("%s may invoke %d aliases, want the %d asynchronous functions'", f.Name, invoke, len(async))
		}
	}
}
