package stack_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	kdist "github.com/kiosk-news/kiosk/infra/dist"
	"github.com/kiosk-news/kiosk/infra/stack"
	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
)

var (
	dist string
	out  string // synth output folders live here for the whole run
)

// TestMain builds the deployable zips with the project's build command, so the
// templates are synthesized from the real assets.
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

// synthesized is one deployment as `cdk deploy` would see it: the cloud
// assembly's templates, their sizes, the stacks' dependencies and the errors
// (cdk-nag's included) recorded at synth.
type synthesized struct {
	cloud     topology.Cloud
	prefix    string
	templates map[string]map[string]any // by stack name
	bytes     map[string]int64
	deps      map[string][]string
	errors    map[string][]string
	order     []string // stack names, in the app's deploy order
}

// synth builds the stacks for cloud with the nag packs on and reads the
// assembly back from disk.
func synth(t *testing.T, cloud topology.Cloud, stage string, props ...func(*stack.Props)) *synthesized {
	t.Helper()
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(out, "cdk-")
	if err != nil {
		t.Fatal(err)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(dir)})
	p := stack.Props{Stage: stage, Dist: dist, Origins: []string{"https://app.example"}}
	for _, f := range props {
		f(&p)
	}
	stacks, err := stack.New(app, "Kiosk-"+stage, cloud, p)
	if err != nil {
		t.Fatal(err)
	}
	stack.Check(app)
	app.Synth(nil)

	s := &synthesized{cloud: cloud, prefix: "Kiosk-" + stage, templates: map[string]map[string]any{}, bytes: map[string]int64{},
		deps: map[string][]string{}, errors: map[string][]string{}}
	for _, st := range stacks.All {
		s.order = append(s.order, *st.StackName())
	}
	var manifest struct {
		Artifacts map[string]struct {
			Type         string
			Dependencies []string
			Metadata     map[string][]metadataEntry
			Properties   struct{ TemplateFile string }
			// Newer CDKs write the metadata beside the manifest.
			AdditionalMetadataFile string
		}
	}
	readJSON(t, filepath.Join(dir, "manifest.json"), &manifest)
	for name, a := range manifest.Artifacts {
		if a.Type != "aws:cloudformation:stack" {
			continue
		}
		var tmpl map[string]any
		path := filepath.Join(dir, a.Properties.TemplateFile)
		readJSON(t, path, &tmpl)
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		s.templates[name], s.bytes[name] = tmpl, st.Size()
		for _, d := range a.Dependencies {
			if !strings.HasSuffix(d, ".assets") {
				s.deps[name] = append(s.deps[name], d)
			}
		}
		meta := a.Metadata
		if a.AdditionalMetadataFile != "" {
			readJSON(t, filepath.Join(dir, a.AdditionalMetadataFile), &meta)
		}
		for path, entries := range meta {
			for _, e := range entries {
				if e.Type == "aws:cdk:error" {
					s.errors[name] = append(s.errors[name], fmt.Sprintf("%s: %v", path, e.Data))
				}
			}
		}
	}
	return s
}

type metadataEntry struct {
	Type string
	Data any
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// stackOf is the template of the stack that builds a function.
func (s *synthesized) stackOf(f topology.Function) (string, map[string]any) {
	name := stack.StackName(s.prefix, s.cloud.StackOf(f))
	return name, s.templates[name]
}

func (s *synthesized) platform() map[string]any {
	return s.templates[stack.StackName(s.prefix, topology.Platform)]
}

func (s *synthesized) param(path ...string) string {
	return stack.Param(s.cloud.Name, strings.TrimPrefix(s.prefix, "Kiosk-"), path...)
}

// dependsOn reports whether stack a deploys after stack b, directly or not.
func (s *synthesized) dependsOn(a, b string) bool {
	for _, d := range s.deps[a] {
		if d == b || s.dependsOn(d, b) {
			return true
		}
	}
	return false
}

var cache = map[string]*synthesized{}

// kiosk is the real topology's deployment for a stage, synthesized once.
func kiosk(t *testing.T, stage string) *synthesized {
	t.Helper()
	if s, ok := cache[stage]; ok {
		return s
	}
	cache[stage] = synth(t, topology.Kiosk(), stage)
	return cache[stage]
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
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
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

// paramOf is the SSM parameter a value is read from at deploy ("" when it
// is not a plain reference to one).
func paramOf(tmpl map[string]any, v any) string {
	params, _ := tmpl["Parameters"].(map[string]any)
	p, ok := params[ref(v)].(map[string]any)
	if !ok || !strings.HasPrefix(p["Type"].(string), "AWS::SSM::Parameter::Value") {
		return ""
	}
	return p["Default"].(string)
}

// readParams lists every SSM parameter a template reads (not CDK's
// bootstrap version).
func readParams(tmpl map[string]any) []string {
	var out []string
	params, _ := tmpl["Parameters"].(map[string]any)
	for id := range params {
		if name := paramOf(tmpl, map[string]any{"Ref": id}); name != "" && !strings.HasPrefix(name, "/cdk-bootstrap/") {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// published maps the SSM parameters a template writes to their values.
func published(tmpl map[string]any) map[string]any {
	out := map[string]any{}
	for _, p := range resources(tmpl, "AWS::SSM::Parameter") {
		out[p.Props["Name"].(string)] = p.Props["Value"]
	}
	return out
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

func statements(tmpl map[string]any, roleID string) []map[string]any {
	var out []map[string]any
	for _, p := range resources(tmpl, "AWS::IAM::Policy") {
		if !slices.ContainsFunc(p.Props["Roles"].([]any), func(r any) bool { return ref(r) == roleID }) {
			continue
		}
		for _, st := range p.Props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			out = append(out, st.(map[string]any))
		}
	}
	return out
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

func TestThereIsAPlatformStackAStackPerDomainAndTheGateway(t *testing.T) {
	s := kiosk(t, "dev")
	want := []string{"Kiosk-dev-platform", "Kiosk-dev-article", "Kiosk-dev-feed", "Kiosk-dev-health", "Kiosk-dev-tracking",
		"Kiosk-dev-user", "Kiosk-dev-console", "Kiosk-dev-gateway"}
	if !slices.Equal(s.order, want) {
		t.Errorf("stacks in deploy order = %v, want %v", s.order, want)
	}
	for _, name := range s.order {
		if s.templates[name] == nil {
			t.Errorf("%s is not in the cloud assembly", name)
		}
	}
	for _, f := range topology.Kiosk().Functions {
		for name, tmpl := range s.templates {
			has := false
			for _, fn := range resources(tmpl, "AWS::Lambda::Function") {
				has = has || fn.Props["Environment"].(map[string]any)["Variables"].(map[string]any)["KIOSK_FUNCTION"] == f.Name
			}
			if mine, _ := s.stackOf(f); has != (name == mine) {
				t.Errorf("%s (domain %s) in %s: %v", f.Name, f.Domain, name, has)
			}
		}
	}
}

func TestEveryFunctionIsAnArmLambdaWithALiveAlias(t *testing.T) {
	s := kiosk(t, "dev")
	cloud := topology.Kiosk()
	for _, name := range append([]string{topology.Platform}, cloud.Domains()...) {
		tmpl := s.templates[stack.StackName(s.prefix, name)]
		if got := len(resources(tmpl, "AWS::Lambda::Function")); got != len(cloud.FunctionsOf(name)) {
			t.Errorf("%s: %d Lambda functions, want %d", name, got, len(cloud.FunctionsOf(name)))
		}
	}
	for _, f := range cloud.Functions {
		t.Run(f.Name, func(t *testing.T) {
			_, tmpl := s.stackOf(f)
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
			// The rollback commands and the operators' view use fixed names.
			if p["FunctionName"] != "kiosk-dev-"+f.Name {
				t.Errorf("the Lambda is named %v, want kiosk-dev-%s", p["FunctionName"], f.Name)
			}
			if f.Async() && !slices.ContainsFunc(resources(tmpl, "AWS::SQS::Queue"), func(q resource) bool { return q.Props["QueueName"] == "kiosk-dev-"+f.Name+"-dlq" }) {
				t.Errorf("no dead-letter queue named kiosk-dev-%s-dlq", f.Name)
			}
			if o, ok := tmpl["Outputs"].(map[string]any)[stack.LogicalID(f.Name)+"FunctionName"].(map[string]any); !ok || ref(o["Value"]) != fn.ID {
				t.Errorf("no output names the Lambda of %s", f.Name)
			}
		})
	}
	for name, tmpl := range s.templates {
		for _, lg := range resources(tmpl, "AWS::Logs::LogGroup") {
			if lg.Props["RetentionInDays"] == nil {
				t.Errorf("%s: log group %s keeps logs forever", name, lg.ID)
			}
		}
	}
}

// TestEveryRouteReachesItsDomainsAliasOnThePlatformsAPI: a route is built in
// its function's domain stack, on the API the platform published, integrated
// with that domain's live alias (with the invoke permission beside it), and
// guarded by the platform's authorizer for its auth mode.
func TestEveryRouteReachesItsDomainsAliasOnThePlatformsAPI(t *testing.T) {
	s := kiosk(t, "dev")
	cloud := topology.Kiosk()
	platform := s.platform()
	pub := published(platform)
	api := resources(platform, "AWS::ApiGatewayV2::Api")
	if len(api) != 1 || ref(pub[s.param("api", "id")]) != api[0].ID {
		t.Fatalf("the platform publishes %v as the API, it has %d", pub[s.param("api", "id")], len(api))
	}
	_, authorizerAlias, _ := function(t, platform, cloud.Authorizer)
	authorizers := map[topology.Auth]resource{}
	for _, a := range resources(platform, "AWS::ApiGatewayV2::Authorizer") {
		mode := topology.Auth(a.Props["Name"].(string))
		authorizers[mode] = a
		uri, _ := json.Marshal(a.Props["AuthorizerUri"])
		if ref(a.Props["ApiId"]) != api[0].ID || a.Props["EnableSimpleResponses"] != true ||
			a.Props["AuthorizerResultTtlInSeconds"].(float64) != topology.AuthorizerCacheTTL.Seconds() ||
			!strings.Contains(string(uri), `{"Ref":"`+authorizerAlias.ID+`"}`) {
			t.Errorf("authorizer %s: %v", mode, a.Props)
		}
		if ref(pub[s.param("api", "authorizer", string(mode))]) != a.ID {
			t.Errorf("the platform does not publish the %s authorizer's id", mode)
		}
	}
	if len(authorizers) != 2 {
		t.Errorf("authorizers %v, want one for user and one for admin routes", authorizers)
	}
	invokers := 0
	for _, p := range resources(platform, "AWS::Lambda::Permission") {
		if ref(p.Props["FunctionName"]) == authorizerAlias.ID && p.Props["Principal"] == "apigateway.amazonaws.com" {
			invokers++
		}
	}
	if invokers != 2 {
		t.Errorf("API Gateway may invoke the authorizer's alias through %d permissions, want 2", invokers)
	}

	total := 0
	for _, tmpl := range s.templates {
		total += len(resources(tmpl, "AWS::ApiGatewayV2::Route"))
	}
	if declared := len(cloud.Routes()); total != declared {
		t.Errorf("%d routes in the stacks, %d declared", total, declared)
	}
	for _, r := range cloud.Routes() {
		f, _ := cloud.Function(r.Function)
		name, tmpl := s.stackOf(f)
		var route resource
		for _, rt := range resources(tmpl, "AWS::ApiGatewayV2::Route") {
			if rt.Props["RouteKey"] == r.Key() {
				route = rt
			}
		}
		if route.ID == "" {
			t.Errorf("route %s is not in %s", r.Key(), name)
			continue
		}
		if paramOf(tmpl, route.Props["ApiId"]) != s.param("api", "id") {
			t.Errorf("%s is on API %v, not the platform's", r.Key(), route.Props["ApiId"])
		}
		if !r.Auth.Authorized() {
			if at, _ := route.Props["AuthorizationType"].(string); at != "" && at != "NONE" {
				t.Errorf("unauthorized (public or console) route %s has authorization %v", r.Key(), at)
			}
		} else if route.Props["AuthorizationType"] != "CUSTOM" || paramOf(tmpl, route.Props["AuthorizerId"]) != s.param("api", "authorizer", string(r.Auth)) {
			t.Errorf("%s (%s) is guarded by %v / %v", r.Key(), r.Auth, route.Props["AuthorizationType"], route.Props["AuthorizerId"])
		}
		target := route.Props["Target"].(map[string]any)["Fn::Join"].([]any)[1].([]any)
		var integ resource
		for _, i := range resources(tmpl, "AWS::ApiGatewayV2::Integration") {
			if i.ID == ref(target[1]) {
				integ = i
			}
		}
		_, alias, _ := function(t, tmpl, r.Function)
		if ref(integ.Props["IntegrationUri"]) != alias.ID || integ.Props["PayloadFormatVersion"] != "2.0" {
			t.Errorf("%s integrates %v, want %s's live alias with payload 2.0", r.Key(), integ.Props, r.Function)
		}
		allowed := false
		for _, p := range resources(tmpl, "AWS::Lambda::Permission") {
			src, _ := json.Marshal(p.Props["SourceArn"])
			allowed = allowed || ref(p.Props["FunctionName"]) == alias.ID && p.Props["Principal"] == "apigateway.amazonaws.com" &&
				strings.Contains(string(src), `"/*/*`+r.Path+`"`)
		}
		if !allowed {
			t.Errorf("API Gateway may not invoke %s's alias for %s", r.Function, r.Key())
		}
	}
}

// tableOf names the table (and index) an IAM resource designates: a table
// of the same stack, by the parameter the stack publishes for it, or another
// stack's, by the parameter it is read from.
func tableOf(tmpl map[string]any, res any) (table, index string) {
	b, _ := json.Marshal(res)
	own := map[string]string{}
	for name, v := range published(tmpl) {
		if t, ok := strings.CutPrefix(name, "/kiosk/dev/table/"); ok {
			own[ref(v)] = t
		}
	}
	if m := regexp.MustCompile(`"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]`).FindSubmatch(b); m != nil {
		table = own[string(m[1])]
	}
	if m := regexp.MustCompile(`\{"Ref":"([A-Za-z0-9]+)"\}`).FindAllSubmatch(b, -1); m != nil {
		for _, r := range m {
			if p := paramOf(tmpl, map[string]any{"Ref": string(r[1])}); strings.HasPrefix(p, "/kiosk/dev/table/") {
				table = strings.TrimPrefix(p, "/kiosk/dev/table/")
			}
		}
	}
	if m := regexp.MustCompile(`"/index/([a-z0-9-]+)"`).FindSubmatch(b); m != nil {
		index = string(m[1])
	}
	return table, index
}

// TestRolesNameOnlyTheirOwnTablesAndThePlatformsGrantedToThem: a role's
// DynamoDB statements name its domain's own tables (built in its stack) and
// the other tables it is granted — the platform's, or another domain's —
// read from the SSM parameter their owner published, and nothing else.
func TestRolesNameOnlyTheirOwnTablesAndThePlatformsGrantedToThem(t *testing.T) {
	s := kiosk(t, "dev")
	cloud := topology.Kiosk()
	for _, f := range cloud.Functions {
		t.Run(f.Name, func(t *testing.T) {
			stackName, tmpl := s.stackOf(f)
			_, _, roleID := function(t, tmpl, f.Name)
			granted := map[string]topology.Access{}
			for _, g := range f.Grants {
				granted[g.Table] = g.Access
			}
			named := map[string]bool{}
			for _, st := range statements(tmpl, roleID) {
				actions := toStrings(st["Action"])
				res := st["Resource"]
				if s, ok := res.(string); ok && strings.Contains(s, "*") {
					t.Errorf("wildcard resource %q for %v", s, actions)
				}
				list, isList := res.([]any)
				if !isList {
					list = []any{res}
				}
				for _, a := range actions {
					switch {
					case strings.HasPrefix(a, "dynamodb:"):
						table, _ := tableOf(tmpl, list[0])
						access, ok := granted[table]
						if !ok {
							t.Errorf("%s on table %q, which %s was not granted", a, table, f.Name)
						}
						named[table] = true
						for _, extra := range list[1:] {
							if other, ix := tableOf(tmpl, extra); other != table || !slices.Contains(indexes(cloud, table), ix) {
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
						if paramOf(tmpl, list[0]) != s.param("bus", "arn") && stackName != stack.StackName(s.prefix, topology.Platform) {
							t.Errorf("%s may PutEvents on %v, not the platform's bus", f.Name, list[0])
						}
					case a == "lambda:InvokeFunction":
						if !f.Operator && len(f.Invokes) == 0 {
							t.Errorf("%s may invoke functions but is no operator and invokes none", f.Name)
						}
					case strings.HasPrefix(a, "logs:"), strings.HasPrefix(a, "sqs:"), a == "secretsmanager:GetSecretValue":
					default:
						t.Errorf("%s has an undeclared action %s", f.Name, a)
					}
				}
			}
			for table := range granted {
				if !named[table] {
					t.Errorf("%s is granted %s, but its policy does not name it", f.Name, table)
				}
			}
			// Where each named table comes from: built here when the domain owns
			// it, else read from its owner's parameter.
			for _, tb := range cloud.Tables {
				if !named[tb.Name] {
					continue
				}
				own := slices.ContainsFunc(resources(tmpl, "AWS::DynamoDB::Table"), func(r resource) bool {
					return ref(published(tmpl)[s.param("table", tb.Name)]) == r.ID
				})
				read := slices.Contains(readParams(tmpl), s.param("table", tb.Name))
				if mine := tb.Domain == cloud.StackOf(f); own != mine || read == mine {
					t.Errorf("table %s (owned by %s) in %s: built here %v, read from SSM %v", tb.Name, tb.Domain, stackName, own, read)
				}
			}
		})
	}
}

func indexes(c topology.Cloud, table string) []string {
	tb, _ := c.Table(table)
	var out []string
	for _, ix := range tb.Indexes {
		out = append(out, ix.Name)
	}
	return out
}

// TestEveryRuleSitsOnThePlatformBusWithItsGeneratedPattern: each declared
// rule is one EventBridge rule in its function's stack, on the bus the
// platform published, whose pattern is the topology's generated JSON (the one
// the local bus matches), targeting the live alias with retries and a
// dead-letter queue.
func TestEveryRuleSitsOnThePlatformBusWithItsGeneratedPattern(t *testing.T) {
	s := kiosk(t, "dev")
	platform := s.platform()
	bus := resources(platform, "AWS::Events::EventBus")
	if len(bus) != 1 || ref(published(platform)[s.param("bus", "arn")]) != bus[0].ID {
		t.Fatalf("the platform has %d buses and publishes %v", len(bus), published(platform)[s.param("bus", "arn")])
	}
	for _, f := range topology.Kiosk().Functions {
		if !f.Async() {
			continue
		}
		name, tmpl := s.stackOf(f)
		_, alias, _ := function(t, tmpl, f.Name)
		byDescription := map[string]resource{}
		for _, r := range resources(tmpl, "AWS::Events::Rule") {
			byDescription[r.Props["Description"].(string)] = r
		}
		for _, r := range f.Rules {
			rule, ok := byDescription[f.Name+": "+r.Name]
			if !ok {
				t.Errorf("%s/%s has no EventBridge rule in %s", f.Name, r.Name, name)
				continue
			}
			onBus, _ := json.Marshal(rule.Props["EventBusName"])
			if p := regexp.MustCompile(`"Ref":"([A-Za-z0-9]+)"`).FindSubmatch(onBus); p == nil || paramOf(tmpl, map[string]any{"Ref": string(p[1])}) != s.param("bus", "arn") {
				t.Errorf("%s/%s is on bus %s, not the platform's", f.Name, r.Name, onBus)
			}
			var want any
			if err := json.Unmarshal([]byte(r.Pattern()), &want); err != nil {
				t.Fatal(err)
			}
			g, _ := json.Marshal(rule.Props["EventPattern"])
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Errorf("%s/%s: the template's pattern is %s, the topology's %s", f.Name, r.Name, g, w)
			}
		}
		for _, sc := range f.Schedules {
			if _, ok := byDescription[f.Name+": "+sc.Description]; !ok {
				t.Errorf("%s's schedule %q is not in %s", f.Name, sc.Expression, name)
			}
		}
		for _, r := range byDescription {
			for _, tg := range r.Props["Targets"].([]any) {
				tg := tg.(map[string]any)
				if ref(tg["Arn"]) == alias.ID && (tg["DeadLetterConfig"] == nil || tg["RetryPolicy"] == nil) {
					t.Errorf("rule %s target lacks a DLQ or retry policy: %v", r.ID, tg)
				}
			}
		}
	}
	for name, tmpl := range s.templates {
		rules, want := resources(tmpl, "AWS::Events::Rule"), 0
		for _, f := range topology.Kiosk().Functions {
			if n, _ := s.stackOf(f); n == name {
				want += len(f.Rules) + len(f.Schedules)
			}
		}
		if len(rules) != want {
			t.Errorf("%s: %d rules, want %d (one per declared rule and schedule)", name, len(rules), want)
		}
	}
}

func TestAsyncFunctionsRetryAndDeadLetter(t *testing.T) {
	s := kiosk(t, "dev")
	for _, f := range topology.Kiosk().Functions {
		if !f.Async() {
			continue
		}
		_, tmpl := s.stackOf(f)
		fn, _, _ := function(t, tmpl, f.Name)
		found := false
		for _, c := range resources(tmpl, "AWS::Lambda::EventInvokeConfig") {
			if ref(c.Props["FunctionName"]) == fn.ID {
				found = c.Props["MaximumRetryAttempts"] != nil && c.Props["DestinationConfig"].(map[string]any)["OnFailure"] != nil
			}
		}
		if !found {
			t.Errorf("%s is invoked asynchronously but has no EventInvokeConfig with retries and an on-failure destination", f.Name)
		}
	}
	for name, tmpl := range s.templates {
		for _, q := range resources(tmpl, "AWS::SQS::Queue") {
			if q.Props["SqsManagedSseEnabled"] != true {
				t.Errorf("%s: queue %s is not encrypted", name, q.ID)
			}
		}
		alarmed := 0
		for _, a := range resources(tmpl, "AWS::CloudWatch::Alarm") {
			if a.Props["MetricName"] == "ApproximateNumberOfMessagesVisible" {
				alarmed++
			}
		}
		if alarmed != len(resources(tmpl, "AWS::SQS::Queue")) {
			t.Errorf("%s: %d queue-depth alarms for %d queues", name, alarmed, len(resources(tmpl, "AWS::SQS::Queue")))
		}
	}
}

// TestEveryAlarmNotifiesTheAlarmTopic: the platform's SNS topic (with the
// e-mail subscription when one is configured) is every alarm's action, when
// it fires and when it clears.
func TestEveryAlarmNotifiesTheAlarmTopic(t *testing.T) {
	s := synth(t, topology.Kiosk(), "dev", func(p *stack.Props) { p.AlarmEmail = "oncall@example.com" })
	platform := s.platform()
	topics := resources(platform, "AWS::SNS::Topic")
	if len(topics) != 1 || ref(published(platform)[s.param("alarms", "topic")]) != topics[0].ID {
		t.Fatalf("the platform has %d topics and publishes %v", len(topics), published(platform)[s.param("alarms", "topic")])
	}
	subs := resources(platform, "AWS::SNS::Subscription")
	if len(subs) != 1 || subs[0].Props["Protocol"] != "email" || subs[0].Props["Endpoint"] != "oncall@example.com" || ref(subs[0].Props["TopicArn"]) != topics[0].ID {
		t.Errorf("subscriptions = %+v, want the configured address by e-mail", subs)
	}
	if n := len(resources(kiosk(t, "dev").platform(), "AWS::SNS::Subscription")); n != 0 {
		t.Errorf("%d subscriptions with no address configured", n)
	}
	count := 0
	for name, tmpl := range s.templates {
		alarms := resources(tmpl, "AWS::CloudWatch::Alarm")
		for _, c := range resources(tmpl, "AWS::CloudWatch::CompositeAlarm") {
			alarms = append(alarms, c)
		}
		for _, a := range alarms {
			count++
			if a.Type == "AWS::CloudWatch::Alarm" && a.Props["AlarmActions"] == nil && a.Props["OKActions"] == nil && inComposite(tmpl, a.ID) {
				continue // a burn-rate window: its composite alarm notifies
			}
			for _, actions := range []string{"AlarmActions", "OKActions"} {
				list, _ := a.Props[actions].([]any)
				ok := len(list) == 1 && (ref(list[0]) == topics[0].ID && name == s.order[0] || paramOf(tmpl, list[0]) == s.param("alarms", "topic"))
				if !ok {
					t.Errorf("%s: alarm %s has %s %v, want the platform's topic", name, a.ID, actions, a.Props[actions])
				}
			}
		}
	}
	if count < 3*len(topology.Kiosk().Functions) {
		t.Errorf("%d alarms for %d functions", count, len(topology.Kiosk().Functions))
	}
}

// TestEveryDomainHasItsDashboard: a dashboard per stack with a function,
// with a row for each of its functions.
func TestEveryDomainHasItsDashboard(t *testing.T) {
	s := kiosk(t, "dev")
	cloud := topology.Kiosk()
	for _, name := range append([]string{topology.Platform}, cloud.Domains()...) {
		tmpl := s.templates[stack.StackName(s.prefix, name)]
		dash := resources(tmpl, "AWS::CloudWatch::Dashboard")
		if len(dash) != 1 || dash[0].Props["DashboardName"] != stack.StackName(s.prefix, name) {
			t.Errorf("%s: dashboards %+v", name, dash)
			continue
		}
		body, _ := json.Marshal(dash[0].Props["DashboardBody"])
		for _, f := range cloud.FunctionsOf(name) {
			if !strings.Contains(string(body), f.Name+": invocations") {
				t.Errorf("%s's dashboard has no row for %s", name, f.Name)
			}
		}
	}
}

// TestEveryValueAStackReadsIsWrittenByAStackItDeploysAfter: the stacks
// share values through SSM parameters only — no CloudFormation export, so no
// stack is locked by another's import — and each parameter a stack reads is
// written by a stack it depends on, so `cdk deploy --all` deploys them in an
// order that works from an empty account.
func TestEveryValueAStackReadsIsWrittenByAStackItDeploysAfter(t *testing.T) {
	s := kiosk(t, "dev")
	writer := map[string]string{}
	for name, tmpl := range s.templates {
		for p := range published(tmpl) {
			if other, dup := writer[p]; dup {
				t.Errorf("%s is written by both %s and %s", p, other, name)
			}
			writer[p] = name
		}
		b, _ := json.Marshal(tmpl)
		if strings.Contains(string(b), "Fn::ImportValue") {
			t.Errorf("%s imports a CloudFormation export", name)
		}
		outputs, _ := tmpl["Outputs"].(map[string]any)
		for id, o := range outputs {
			if o.(map[string]any)["Export"] != nil {
				t.Errorf("%s exports %s", name, id)
			}
		}
	}
	for _, name := range s.order {
		tmpl := s.templates[name]
		for _, p := range readParams(tmpl) {
			w, ok := writer[p]
			switch {
			case !ok:
				t.Errorf("%s reads %s, which no stack writes", name, p)
			case w == name:
				t.Errorf("%s reads its own %s", name, p)
			case !s.dependsOn(name, w):
				t.Errorf("%s reads %s from %s, but does not deploy after it", name, p, w)
			}
		}
	}
	if len(s.deps[s.order[0]]) != 0 {
		t.Errorf("the platform depends on %v", s.deps[s.order[0]])
	}
	for _, name := range s.order[1:] {
		if !s.dependsOn(name, s.order[0]) {
			t.Errorf("%s does not deploy after the platform", name)
		}
	}
}

func TestTablesLiveInTheirOwnersStack(t *testing.T) {
	cloud := topology.Kiosk()
	for _, stage := range []string{"dev", "prod"} {
		t.Run(stage, func(t *testing.T) {
			s := kiosk(t, stage)
			total := 0
			for name, tmpl := range s.templates {
				tables := resources(tmpl, "AWS::DynamoDB::Table")
				total += len(tables)
				for _, tb := range tables {
					p := tb.Props
					declared, ok := topology.Table{}, false
					for _, dt := range cloud.Tables {
						if strings.HasPrefix(tb.ID, stack.LogicalID(dt.Name)+"Table") {
							declared, ok = dt, true
						}
					}
					if !ok || stack.StackName(s.prefix, declared.Domain) != name {
						t.Errorf("table %s is in %s; declared %v (domain %q)", tb.ID, name, ok, declared.Domain)
					}
					if p["BillingMode"] != "PAY_PER_REQUEST" {
						t.Errorf("%s billing = %v", tb.ID, p["BillingMode"])
					}
					if pitr, _ := p["PointInTimeRecoverySpecification"].(map[string]any); pitr["PointInTimeRecoveryEnabled"] != true {
						t.Errorf("%s has no point-in-time recovery", tb.ID)
					}
					// Every declared global secondary index, and no other: name, keys,
					// projection ALL.
					var indexes []string // each declared index as "name pk sk"
					for _, ix := range declared.Indexes {
						keys := ix.Name + " " + ix.PartitionKey.Name
						if ix.SortKey != nil {
							keys += " " + ix.SortKey.Name
						}
						indexes = append(indexes, keys)
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
					ttl, _ := p["TimeToLiveSpecification"].(map[string]any)
					if declared.TTL != "" && (ttl["AttributeName"] != declared.TTL || ttl["Enabled"] != true) || declared.TTL == "" && ttl != nil {
						t.Errorf("%s TTL = %v, declared %q", tb.ID, ttl, declared.TTL)
					}
					retain := stage == "prod"
					if (tb.Deletion == "Retain") != retain || (p["DeletionProtectionEnabled"] == true) != retain {
						t.Errorf("%s in %s: DeletionPolicy %q, protection %v", tb.ID, stage, tb.Deletion, p["DeletionProtectionEnabled"])
					}
				}
			}
			if total != len(cloud.Tables) {
				t.Errorf("%d tables in the stacks, want %d", total, len(cloud.Tables))
			}
		})
	}
}

func TestTheGatewayStageThrottlesAndLogs(t *testing.T) {
	cloud := topology.Kiosk()
	cloud.Functions[0].Routes[0].Throttle = &topology.Throttle{Rate: 5, Burst: 10}
	s := synth(t, cloud, "dev")
	gateway := s.templates["Kiosk-dev-gateway"]
	stages := resources(gateway, "AWS::ApiGatewayV2::Stage")
	if len(stages) != 1 {
		t.Fatalf("%d stages", len(stages))
	}
	for name, tmpl := range s.templates {
		if n := len(resources(tmpl, "AWS::ApiGatewayV2::Stage")); name != "Kiosk-dev-gateway" && n > 0 {
			t.Errorf("%s has %d stages", name, n)
		}
	}
	p := stages[0].Props
	if paramOf(gateway, p["ApiId"]) != s.param("api", "id") || p["StageName"] != "$default" || p["AutoDeploy"] != true {
		t.Errorf("stage %v, want the platform's API's $default, deployed automatically", p)
	}
	d := p["DefaultRouteSettings"].(map[string]any)
	if d["ThrottlingRateLimit"].(float64) != cloud.Throttle.Rate || d["ThrottlingBurstLimit"].(float64) != float64(cloud.Throttle.Burst) {
		t.Errorf("default throttle = %v", d)
	}
	r := p["RouteSettings"].(map[string]any)["GET /v1/health"].(map[string]any)
	if r["ThrottlingRateLimit"].(float64) != 5 || r["ThrottlingBurstLimit"].(float64) != 10 {
		t.Errorf("route throttle = %v, want 5/10", r)
	}
	// Route settings may only name routes that exist: the gateway deploys
	// after every domain with a throttled route.
	for _, route := range cloud.Routes() {
		f, _ := cloud.Function(route.Function)
		if n, _ := s.stackOf(f); route.Throttle != nil && !s.dependsOn("Kiosk-dev-gateway", n) {
			t.Errorf("the gateway throttles %s but may deploy before %s", route.Key(), n)
		}
	}
	if p["AccessLogSettings"] == nil {
		t.Error("no access log")
	}
	api := resources(s.platform(), "AWS::ApiGatewayV2::Api")[0].Props
	cors := api["CorsConfiguration"].(map[string]any)
	if !slices.Equal(toStrings(cors["AllowOrigins"]), []string{"https://app.example"}) {
		t.Errorf("CORS = %v", cors)
	}
	// The topology's CORS: a browser app can send the TS client's
	// Idempotency-Key and read Retry-After, Idempotent-Replayed, X-Request-Id
	// and Location.
	c := topology.Kiosk().CORS
	if !slices.Equal(toStrings(cors["AllowHeaders"]), c.AllowHeaders) || !slices.Contains(c.AllowHeaders, "idempotency-key") {
		t.Errorf("CORS AllowHeaders = %v, want %v", cors["AllowHeaders"], c.AllowHeaders)
	}
	for _, h := range []string{"retry-after", "idempotent-replayed", "x-request-id", "location"} {
		if !slices.Contains(toStrings(cors["ExposeHeaders"]), h) {
			t.Errorf("CORS ExposeHeaders = %v, want %s in it", cors["ExposeHeaders"], h)
		}
	}
	if !slices.Equal(toStrings(cors["AllowMethods"]), c.Methods) || cors["MaxAge"] != float64(3600) {
		t.Errorf("CORS methods %v, max age %v", cors["AllowMethods"], cors["MaxAge"])
	}
}

// TestNagFindsNoUnsuppressedErrorInAnyStack runs the AwsSolutions and
// Serverless packs on every stack of both stages.
func TestNagFindsNoUnsuppressedErrorInAnyStack(t *testing.T) {
	for _, stage := range []string{"dev", "prod"} {
		t.Run(stage, func(t *testing.T) {
			s := kiosk(t, stage)
			for _, name := range s.order {
				for _, e := range s.errors[name] {
					t.Errorf("%s: %s", name, e)
				}
			}
		})
	}
}

// TestANewDomainLandsInItsOwnStack adds a domain — a table and a function
// with a route, a schedule and a grant — to the topology and checks it gets a
// stack with everything, and that no other domain's stack changes but the
// operators' (which list every batch).
func TestANewDomainLandsInItsOwnStack(t *testing.T) {
	cloud := topology.Kiosk()
	cloud.Tables = append(cloud.Tables, topology.Table{Name: "extra", Domain: "extra", PartitionKey: topology.Key{Name: "pk", Type: topology.String}})
	cloud.Functions = append(cloud.Functions, topology.Function{
		Name: "extra-api", Domain: "extra", Description: "scaffold check", MemoryMB: 128, Timeout: 5 * time.Second,
		Routes:    []topology.Route{{Method: "GET", Path: "/v1/extra/{id}", Auth: topology.Public}},
		Schedules: []topology.Schedule{{Expression: "cron(0 3 * * ? *)", Description: "nightly"}},
		Grants:    []topology.Grant{{Table: "extra", Access: topology.ReadWrite}, {Table: topology.RunsTable, Access: topology.Write}},
	})
	link(t, "health-api", "extra-api")

	s := synth(t, cloud, "dev")
	tmpl, ok := s.templates["Kiosk-dev-extra"]
	if !ok {
		t.Fatalf("no Kiosk-dev-extra stack; stacks: %v", s.order)
	}
	fn, alias, _ := function(t, tmpl, "extra-api")
	if alias.ID == "" || fn.Props["Environment"].(map[string]any)["Variables"].(map[string]any)["KIOSK_TABLE_EXTRA"] == nil {
		t.Error("the new function lacks its alias or its table variable")
	}
	if len(resources(tmpl, "AWS::DynamoDB::Table")) != 1 {
		t.Error("the new domain's table is not in its stack")
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
	if errs := s.errors["Kiosk-dev-extra"]; len(errs) > 0 {
		t.Errorf("nag errors on the new domain: %v", errs)
	}
	base := kiosk(t, "dev")
	for _, name := range base.order {
		before, _ := json.Marshal(base.templates[name])
		after, _ := json.Marshal(s.templates[name])
		if changed := string(before) != string(after); changed != (name == "Kiosk-dev-console") {
			t.Errorf("%s changed %v when a domain was added", name, changed)
		}
	}
}

// link makes dist/<to>.zip the same deployable as dist/<from>.zip for the
// test's life.
func link(t *testing.T, from, to string) {
	t.Helper()
	dst := filepath.Join(dist, to+".zip")
	if err := os.Link(filepath.Join(dist, from+".zip"), dst); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(dst) })
}

// TestOperatorsReachEveryAsyncFunction checks an operator function gets
// every asynchronous function's live alias and dead-letter queue in
// OperationsEnv — other domains' through the parameters those domains
// publish — and the rights to invoke exactly those aliases.
func TestOperatorsReachEveryAsyncFunction(t *testing.T) {
	s := kiosk(t, "dev")
	cloud := topology.Kiosk()
	var async []topology.Function
	for _, f := range cloud.Functions {
		if f.Async() {
			async = append(async, f)
		}
	}
	for _, f := range cloud.Functions {
		name, tmpl := s.stackOf(f)
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
		var invoke []any
		for _, st := range statements(tmpl, roleID) {
			if slices.Contains(toStrings(st["Action"]), "lambda:InvokeFunction") {
				invoke = st["Resource"].([]any)
			}
		}
		if len(invoke) != len(async) {
			t.Errorf("%s may invoke %d aliases, want the %d asynchronous functions'", f.Name, len(invoke), len(async))
		}
		for _, a := range async {
			if !strings.Contains(string(joined), `\"`+a.Name+`\":`) {
				t.Errorf("%s: %s does not name %s", f.Name, topology.OperationsEnv, a.Name)
			}
			owner, ownerTmpl := s.stackOf(a)
			_, alias, _ := function(t, ownerTmpl, a.Name)
			if ref(published(ownerTmpl)[s.param("function", a.Name, "live")]) != alias.ID {
				t.Errorf("%s does not publish %s's live alias", owner, a.Name)
			}
			mayInvoke := slices.ContainsFunc(invoke, func(r any) bool {
				return owner == name && ref(r) == alias.ID || paramOf(tmpl, r) == s.param("function", a.Name, "live")
			})
			if !mayInvoke {
				t.Errorf("%s may not invoke %s's live alias", f.Name, a.Name)
			}
		}
	}
}

// TestTheFeedParserHasNoGrants: parse-feed, where hostile feed bytes meet
// the XML parser, may write its logs and traces and nothing else — no table,
// secret, bus or function — and each function that invokes it may invoke
// exactly its live alias, named in its KIOSK_INVOKE_PARSE_FEED.
func TestTheFeedParserHasNoGrants(t *testing.T) {
	s := kiosk(t, "dev")
	cloud := topology.Kiosk()
	target, ok := cloud.Function(contract.ParseFeedFunction)
	if !ok {
		t.Fatalf("no %s in the topology", contract.ParseFeedFunction)
	}
	_, tmpl := s.stackOf(target)
	_, alias, roleID := function(t, tmpl, target.Name)
	for _, st := range statements(tmpl, roleID) {
		for _, a := range toStrings(st["Action"]) {
			if a != "logs:CreateLogStream" && a != "logs:PutLogEvents" {
				t.Errorf("%s may %s on %v: it must reach nothing but its logs", target.Name, a, st["Resource"])
			}
		}
	}
	callers := 0
	for _, f := range cloud.Functions {
		if !slices.Contains(f.Invokes, target.Name) {
			continue
		}
		callers++
		_, ftmpl := s.stackOf(f)
		fn, _, froleID := function(t, ftmpl, f.Name)
		if v := fn.Props["Environment"].(map[string]any)["Variables"].(map[string]any)[contract.InvokeEnv(target.Name)]; ref(v) != alias.ID {
			t.Errorf("%s: %s = %v, want %s's live alias", f.Name, contract.InvokeEnv(target.Name), v, target.Name)
		}
		var invoke []any
		for _, st := range statements(ftmpl, froleID) {
			if slices.Contains(toStrings(st["Action"]), "lambda:InvokeFunction") {
				res, isList := st["Resource"].([]any)
				if !isList {
					res = []any{st["Resource"]}
				}
				invoke = append(invoke, res...)
			}
		}
		if len(invoke) != 1 || ref(invoke[0]) != alias.ID {
			t.Errorf("%s may invoke %v, want exactly %s's live alias", f.Name, invoke, target.Name)
		}
	}
	if callers != 2 {
		t.Errorf("%d functions invoke %s, want ingest-feeds and websub-callback", callers, target.Name)
	}
}

// TestFortyMoreDomainsFitWithRoomToSpare synthesizes the topology with 40
// more domains shaped as `make new-domain` scaffolds them (a table with an
// index, an API function with public and admin routes), and checks every
// stack stays within half of CloudFormation's limits — 250 resources (of 500)
// and 500 KB of template (of 1 MB), 100 parameters and outputs (of 200) —
// and the authorizer's route table, which
// grows with every protected route, within a Lambda's 4 KB of environment.
func TestFortyMoreDomainsFitWithRoomToSpare(t *testing.T) {
	cloud := topology.Kiosk()
	for i := range 40 {
		name := fmt.Sprintf("domain%02d", i)
		fn := name + "-api"
		cloud.Tables = append(cloud.Tables, topology.Table{Name: name, Domain: name,
			Description:  name + " domain (scaffolded): items by id; the by-kind index lists them.",
			PartitionKey: topology.Key{Name: "pk", Type: topology.String},
			Indexes:      []topology.Index{{Name: "by-kind", PartitionKey: topology.Key{Name: "kind", Type: topology.String}, SortKey: &topology.Key{Name: "id", Type: topology.String}}},
		})
		cloud.Functions = append(cloud.Functions, topology.Function{
			Name: fn, Domain: name, Description: name + " API (scaffolded): health, list, get, and admin create.",
			Routes: []topology.Route{
				{Method: "GET", Path: "/v1/" + name + "/health", Auth: topology.Public},
				{Method: "GET", Path: "/v1/" + name, Auth: topology.Public},
				{Method: "GET", Path: "/v1/" + name + "/{id}", Auth: topology.Public},
				{Method: "POST", Path: "/admin/api/" + name, Auth: topology.Admin},
			},
			Grants:   []topology.Grant{{Table: name, Access: topology.ReadWrite}},
			MemoryMB: 256, Timeout: 10 * time.Second,
		})
		link(t, "health-api", fn)
	}
	start := time.Now()
	s := synth(t, cloud, "prod")
	t.Logf("synthesized %d stacks in %s", len(s.order), time.Since(start).Round(time.Second))
	if len(s.order) != len(kiosk(t, "dev").order)+40 {
		t.Errorf("%d stacks for 40 more domains", len(s.order))
	}
	report(t, s)
	fn, _, _ := function(t, s.platform(), cloud.Authorizer)
	if routes, _ := fn.Props["Environment"].(map[string]any)["Variables"].(map[string]any)[topology.RouteAuthEnv].(string); len(routes) == 0 || len(routes) > 3<<10 {
		t.Errorf("the authorizer's route table is %d bytes: want some, and room in Lambda's 4 KB for the rest", len(routes))
	} else {
		t.Logf("the authorizer's route table: %d bytes", len(routes))
	}
	for _, name := range s.order {
		if errs := s.errors[name]; len(errs) > 0 {
			t.Errorf("%s: %d nag errors, first %s", name, len(errs), errs[0])
		}
	}
}

// TestTheRealStacksStayWithinHalfTheLimits: the same bounds on today's
// topology, in both stages.
func TestTheRealStacksStayWithinHalfTheLimits(t *testing.T) {
	for _, stage := range []string{"dev", "prod"} {
		t.Run(stage, func(t *testing.T) { report(t, kiosk(t, stage)) })
	}
}

// report checks every stack's resources and template size and logs them.
func report(t *testing.T, s *synthesized) {
	t.Helper()
	total, largest := 0, ""
	for _, name := range s.order {
		n := len(s.templates[name]["Resources"].(map[string]any))
		total += n
		if largest == "" || n > len(s.templates[largest]["Resources"].(map[string]any)) {
			largest = name
		}
		params, _ := s.templates[name]["Parameters"].(map[string]any)
		outputs, _ := s.templates[name]["Outputs"].(map[string]any)
		if n > 250 || s.bytes[name] > 500<<10 || len(params) > 100 || len(outputs) > 100 {
			t.Errorf("%s: %d resources, %d KB, %d parameters, %d outputs: want at most 250, 500 KB, 100 and 100 (half of CloudFormation's limits)",
				name, n, s.bytes[name]>>10, len(params), len(outputs))
		}
		if testing.Verbose() {
			t.Logf("%-28s %4d resources %6.1f KB %3d parameters %3d outputs", name, n, float64(s.bytes[name])/1024, len(params), len(outputs))
		}
	}
	t.Logf("%d stacks, %d resources; the largest is %s with %d resources", len(s.order), total, largest,
		len(s.templates[largest]["Resources"].(map[string]any)))
}

// TestEveryFunctionsEnvironmentFitsLambdasFourKilobytes renders each
// function's environment as CloudFormation would resolve it in an account
// (SSM parameters read from the stacks that write them, generated names of
// CloudFormation's usual length) and checks it fits Lambda's 4 KB: the
// operators' view of every asynchronous function and the authorizer's route
// table grow with the topology.
func TestEveryFunctionsEnvironmentFitsLambdasFourKilobytes(t *testing.T) {
	for _, stage := range []string{"dev", "prod"} {
		s := kiosk(t, stage)
		largest, size := "", 0
		for _, f := range topology.Kiosk().Functions {
			name, tmpl := s.stackOf(f)
			fn, _, _ := function(t, tmpl, f.Name)
			n := 0
			for k, v := range fn.Props["Environment"].(map[string]any)["Variables"].(map[string]any) {
				n += len(k) + len(s.resolve(name, v).(string))
			}
			if n > 4096 {
				t.Errorf("%s's environment would be %d bytes in %s, over Lambda's 4 KB", f.Name, n, stage)
			}
			if n > size {
				largest, size = f.Name, n
			}
		}
		t.Logf("%s: the largest environment is %s's, about %d bytes of 4096", stage, largest, size)
	}
}

// resolve renders a template value of a stack as deployed in a typical
// account: a region name as long as any, generated names as CloudFormation
// makes them (stack-LogicalId-RANDOM12).
func (s *synthesized) resolve(stackName string, v any) any {
	tmpl := s.templates[stackName]
	const region, account = "ap-southeast-2", "123456789012"
	generated := func(id string) string { return stackName + "-" + id + "-ABCDEFGHIJKL" }
	props := func(id string) map[string]any {
		r, _ := tmpl["Resources"].(map[string]any)[id].(map[string]any)
		p, _ := r["Properties"].(map[string]any)
		return p
	}
	typeOf := func(id string) string {
		r, _ := tmpl["Resources"].(map[string]any)[id].(map[string]any)
		typ, _ := r["Type"].(string)
		return typ
	}
	str := func(v any) string { return s.resolve(stackName, v).(string) }
	// A resource's name property, or the name CloudFormation generates.
	named := func(p map[string]any, key, id string) string {
		if n, ok := p[key]; ok {
			return str(n)
		}
		return generated(id)
	}
	switch x := v.(type) {
	case string:
		return x
	case float64, bool:
		return fmt.Sprint(x)
	case map[string]any:
		if r, ok := x["Ref"].(string); ok {
			switch r {
			case "AWS::Region":
				return region
			case "AWS::AccountId":
				return account
			case "AWS::Partition":
				return "aws"
			case "AWS::URLSuffix":
				return "amazonaws.com"
			}
			if p := paramOf(tmpl, x); p != "" {
				for name, other := range s.templates {
					if val, ok := published(other)[p]; ok {
						return s.resolve(name, val)
					}
				}
				return strings.Repeat("p", 64)
			}
			p := props(r)
			switch typeOf(r) {
			case "AWS::Lambda::Alias":
				return "arn:aws:lambda:" + region + ":" + account + ":function:" + str(p["FunctionName"]) + ":" + str(p["Name"])
			case "AWS::Lambda::Function":
				return named(p, "FunctionName", r)
			case "AWS::SQS::Queue":
				return "https://sqs." + region + ".amazonaws.com/" + account + "/" + named(p, "QueueName", r)
			case "AWS::Events::EventBus":
				return str(p["Name"])
			case "AWS::SecretsManager::Secret":
				return "arn:aws:secretsmanager:" + region + ":" + account + ":secret:" + r + "-ABCDEFGHIJKL-AbCdEf"
			}
			return generated(r)
		}
		if g, ok := x["Fn::GetAtt"].([]any); ok {
			id := g[0].(string)
			p := props(id)
			switch typeOf(id) {
			case "AWS::SQS::Queue":
				return "arn:aws:sqs:" + region + ":" + account + ":" + named(p, "QueueName", id)
			case "AWS::Events::EventBus":
				return "arn:aws:events:" + region + ":" + account + ":event-bus/" + str(p["Name"])
			case "AWS::DynamoDB::Table":
				return "arn:aws:dynamodb:" + region + ":" + account + ":table/" + generated(id)
			}
			return "arn:aws:service:" + region + ":" + account + ":" + generated(id)
		}
		if j, ok := x["Fn::Join"].([]any); ok {
			var parts []string
			for _, p := range j[1].([]any) {
				parts = append(parts, str(p))
			}
			return strings.Join(parts, j[0].(string))
		}
		if sp, ok := x["Fn::Split"].([]any); ok {
			return strings.Split(str(sp[1]), sp[0].(string))
		}
		if sel, ok := x["Fn::Select"].([]any); ok {
			list := s.resolve(stackName, sel[1]).([]string)
			return list[int(sel[0].(float64))]
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestNoDeployedBootstrapProfilesItself: the self-profiling of make bench
// (contract.CPUProfileEnv, compiled in only with -tags pprof) never reaches
// AWS: no function of either stage has the variable, and the deployed build's
// tags (dist.Tags, what make dist passes) do not compile it in.
func TestNoDeployedBootstrapProfilesItself(t *testing.T) {
	if slices.Contains(strings.Split(kdist.Tags, ","), "pprof") {
		t.Errorf("the deployed build's tags %q compile the self-profiling in", kdist.Tags)
	}
	for _, stage := range []string{"dev", "prod"} {
		s := kiosk(t, stage)
		for _, f := range topology.Kiosk().Functions {
			_, tmpl := s.stackOf(f)
			fn, _, _ := function(t, tmpl, f.Name)
			if v, ok := fn.Props["Environment"].(map[string]any)["Variables"].(map[string]any)[contract.CPUProfileEnv]; ok {
				t.Errorf("%s (%s) has %s=%v: it would profile itself in AWS", f.Name, stage, contract.CPUProfileEnv, v)
			}
		}
	}
}

// TestTheFreshnessPiecesAreInTheTemplate: the WebSub callback's public
// routes, the ingestion batch's public API URL for the callbacks (the platform's published API id,
// resolved at deploy: no hard-coded host), the polling batch's 5-minute
// schedule and the articles table's by-due index.
func TestTheFreshnessPiecesAreInTheTemplate(t *testing.T) {
	s := kiosk(t, "dev")
	cloud := topology.Kiosk()
	var callback, ingest topology.Function
	for _, f := range cloud.Functions {
		switch f.Name {
		case "websub-callback":
			callback = f
		case "ingest-feeds":
			ingest = f
		}
	}
	_, tmpl := s.stackOf(ingest)
	for _, f := range []string{"ingest-feeds"} { // it gives hubs the callbacks
		fn, _, _ := function(t, tmpl, f)
		v := fn.Props["Environment"].(map[string]any)["Variables"].(map[string]any)[contract.PublicAPIEnv]
		join, _ := v.(map[string]any)["Fn::Join"].([]any)
		if len(join) != 2 {
			t.Fatalf("%s: %s = %v, want the API's URL joined at deploy", f, contract.PublicAPIEnv, v)
		}
		var fromParam, host bool
		for _, part := range join[1].([]any) {
			fromParam = fromParam || paramOf(tmpl, part) == s.param("api", "id")
			host = host || part == ".execute-api."
		}
		if !fromParam || !host {
			t.Errorf("%s: %s = %v, want https://<the platform's api id>.execute-api.<region>.<suffix>", f, contract.PublicAPIEnv, join)
		}
	}
	_, tmpl = s.stackOf(callback)
	routes := map[string]bool{}
	for _, rt := range resources(tmpl, "AWS::ApiGatewayV2::Route") {
		if k, _ := rt.Props["RouteKey"].(string); strings.Contains(k, "/v1/websub/") {
			routes[k] = rt.Props["AuthorizationType"] == nil || rt.Props["AuthorizationType"] == "NONE"
		}
	}
	if !routes["GET /v1/websub/{id}"] || !routes["POST /v1/websub/{id}"] || len(routes) != 2 {
		t.Errorf("websub routes (public?) = %v", routes)
	}
	_, tmpl = s.stackOf(ingest)
	schedules := 0
	for _, r := range resources(tmpl, "AWS::Events::Rule") {
		if r.Props["ScheduleExpression"] == "rate(5 minutes)" && strings.HasPrefix(r.ID, stack.LogicalID("ingest-feeds")) {
			schedules++
		}
	}
	if schedules != 1 {
		t.Errorf("ingest-feeds has %d rate(5 minutes) schedules, want 1", schedules)
	}
	due := false
	for _, tmpl := range s.templates {
		for _, tb := range resources(tmpl, "AWS::DynamoDB::Table") {
			if !strings.HasPrefix(tb.ID, stack.LogicalID("articles")+"Table") {
				continue
			}
			for _, g := range tb.Props["GlobalSecondaryIndexes"].([]any) {
				due = due || g.(map[string]any)["IndexName"] == "by-due"
			}
		}
	}
	if !due {
		t.Error("the articles table has no by-due index")
	}
}
