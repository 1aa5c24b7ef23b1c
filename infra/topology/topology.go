// Package topology types the one description of Kiosk's cloud: every function
// with its triggers, grants and settings, and every table. The CDK stack and the
// local cloud are both built from it; kiosk.go holds the description itself.
// This package must not import the CDK.
package topology

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/infra/pattern"
	"github.com/kiosk-news/kiosk/infra/schedule"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// Cloud is the whole system.
type Cloud struct {
	// Name prefixes physical names locally and names the CDK stack.
	Name      string
	Tables    []Table
	Secrets   []Secret
	Functions []Function
	// Throttle is the HTTP API stage's default route throttling; a route may
	// only tighten it.
	Throttle Throttle
	// Authorizer names the Lambda authorizer function that guards user and
	// admin routes (simple responses, identity = the Authorization header).
	Authorizer string
	// Monitoring is the SLO, the alarms and the saved queries (monitoring.go).
	Monitoring Monitoring
	// CORS is what browsers are allowed (cors.go).
	CORS CORS
}

// AuthorizerCacheTTL is how long the gateway caches an authorizer decision per
// Authorization header; user and admin routes use separate authorizers, so a
// cached decision never crosses roles. It bounds how long an ended session's
// access tokens keep working, so it stays well below auth.AccessTTL (a test
// checks).
const AuthorizerCacheTTL = 5 * time.Minute

// RouteAuthEnv carries the protected routes' auth modes to the authorizer.
const RouteAuthEnv = contract.RouteAuthEnv

// RouteAuth maps every protected route key to its auth mode, as JSON.
func (c Cloud) RouteAuth() string {
	m := map[string]string{}
	for _, r := range c.Routes() {
		if r.Auth.Authorized() {
			m[r.Key()] = string(r.Auth)
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// FunctionEnv is a function's whole platform-set environment: Environment
// plus, for the authorizer, the route auth table.
func (c Cloud) FunctionEnv(f Function, tableName, secretID func(string) string, bus string) map[string]string {
	env := f.Environment(tableName, secretID, bus)
	if f.Name == c.Authorizer {
		env[RouteAuthEnv] = c.RouteAuth()
	}
	if len(f.Routes) > 0 {
		env[contract.RouteLimitsEnv] = f.RouteLimits()
	}
	return env
}

// RouteLimits is the JSON of the function's routes' contract.RouteLimits by
// route key, which httpapi enforces.
func (f Function) RouteLimits() string {
	m := map[string]contract.RouteLimits{}
	for _, r := range f.Routes {
		m[r.Key()] = r.Limits()
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// Secret is a generated secret in Secrets Manager; functions that declare it
// get its ARN in contract.SecretEnv(Name) and may read only it.
type Secret struct {
	Name        string
	Description string
}

// Throttle limits requests: a steady rate per second and a burst.
type Throttle struct {
	Rate  float64
	Burst int
}

// Auth is how a route is protected.
type Auth string

const (
	Public Auth = "public" // anyone
	User   Auth = "user"   // a signed app-user token
	Admin  Auth = "admin"  // the admin token, checked by the authorizer
	// Console is an admin console page: public at the gateway (a browser
	// sends no bearer token), the function itself requires a valid console
	// session cookie and CSRF token, and sends anyone else to its login page.
	Console Auth = "console"
)

// Authorized reports whether the gateway runs the authorizer for the mode.
func (a Auth) Authorized() bool { return a == User || a == Admin }

// The table vocabulary is the contract's: the store tests create tables from
// the same declarations.
type (
	KeyType = contract.KeyType
	Key     = contract.Key
	Index   = contract.Index
	Table   = contract.Table
)

const (
	String = contract.String
	Number = contract.Number
	Binary = contract.Binary
)

// Access says what a grant allows.
type Access string

const (
	Read      Access = "read"
	Write     Access = "write"
	ReadWrite Access = "readwrite"
)

// Grant lets a function touch a table.
type Grant struct {
	Table  string
	Access Access
}

// Route is an HTTP API route.
type Route struct {
	Method string // GET, POST, PUT, PATCH, DELETE
	Path   string // /v1/articles/{id}; {name+} for a greedy tail
	Auth   Auth
	// Throttle, when set, is tighter than the cloud's default (tracking,
	// registration).
	Throttle *Throttle
	// MaxBody caps the request body in bytes (413 past it); 0 means
	// DefaultMaxBody. The function enforces it: API Gateway's cap is a fixed 10 MB.
	MaxBody int64
	// PerClient, when set, limits each client (the authorized caller, or the
	// source address on a public route): 429 with Retry-After past it. The
	// function enforces it with a counter in the limits table, which it must
	// be granted.
	PerClient *ClientLimit
}

// ClientLimit is a per-client request limit.
type ClientLimit = contract.ClientLimit

// DefaultMaxBody is a route's body cap unless it declares another.
const DefaultMaxBody = contract.DefaultMaxBody

// MaxDescription is the longest description Lambda takes for a function.
const MaxDescription = 256

// MaxBodyLimit is the largest cap a route may declare: below Lambda's 6 MB
// synchronous payload, which the body shares with the rest of the event.
const MaxBodyLimit = 4 << 20

// Limits is what the function enforces on the route.
func (r Route) Limits() contract.RouteLimits {
	l := contract.RouteLimits{MaxBody: r.MaxBody, PerClient: r.PerClient}
	if l.MaxBody == 0 {
		l.MaxBody = DefaultMaxBody
	}
	return l
}

// Key is the API Gateway route key, "GET /v1/health".
func (r Route) Key() string { return r.Method + " " + r.Path }

// Schedule runs a function on an EventBridge schedule.
type Schedule struct {
	Expression  string // rate(...) or cron(...)
	Description string
}

// Function is one Lambda.
type Function struct {
	// Name is the folder under functions/, the Lambda's name and its CDK id.
	Name string
	// Domain is the business domain it serves: the package under shared/
	// holding its rules (the diagram groups functions by it).
	Domain      string
	Description string
	Routes      []Route
	Schedules   []Schedule
	Rules       []Rule
	Grants      []Grant
	Secrets     []string
	// Publishes lists the detail types (see package events) it puts on the bus.
	Publishes []string
	MemoryMB  int
	Timeout   time.Duration
	Env       map[string]string
	// Concurrency, when set, caps concurrent instances (reserved concurrency
	// in AWS, the instance limit locally): 1 makes a batch never overlap itself.
	Concurrency int
	// Operator functions may start any batch and read and redrive any
	// function's dead letters: they get OperationsEnv, lambda:InvokeFunction
	// on the asynchronous functions and their dead-letter queues.
	Operator bool
	// Invokes lists the functions of the same stack this one calls
	// synchronously (Lambda Invoke, RequestResponse): it gets
	// lambda:InvokeFunction on each one's live alias and
	// contract.InvokeEnv(name) naming it. An invoked function needs no
	// trigger of its own.
	Invokes []string
}

// RunsTable records every batch run; each batch function must be granted
// Write on it (trigger records the runs), operators read it.
const RunsTable = contract.RunsTable

// LimitsTable holds the per-client request counters (contract.LimitsTable).
const LimitsTable = contract.LimitsTable

// ConsoleTable holds the console's accounts, sessions and audit log
// (editor.Table).
const ConsoleTable = contract.ConsoleTable

// OperationsEnv carries contract.Operations to operator functions.
const OperationsEnv = contract.OperationsEnv

// BatchList describes every batch for operators (contract.Operations.Batches).
func (c Cloud) BatchList() []contract.Batch {
	var out []contract.Batch
	for _, f := range c.Batches() {
		b := contract.Batch{Name: f.Name, Description: f.Description}
		for _, s := range f.Schedules {
			b.Schedules = append(b.Schedules, [2]string{s.Expression, s.Description})
		}
		out = append(out, b)
	}
	return out
}

// Batches lists the functions that run on a schedule.
func (c Cloud) Batches() []Function {
	var out []Function
	for _, f := range c.Functions {
		if len(f.Schedules) > 0 {
			out = append(out, f)
		}
	}
	return out
}

// AdminTokenSecret is the secret holding the admin token.
const AdminTokenSecret = contract.AdminTokenSecret

// Async reports whether the function is invoked asynchronously (by rules or schedules).
func (f Function) Async() bool { return len(f.Rules) > 0 || len(f.Schedules) > 0 }

// Table finds a table by name.
func (c Cloud) Table(name string) (Table, bool) {
	for _, t := range c.Tables {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}

// Function finds a function by name.
func (c Cloud) Function(name string) (Function, bool) {
	for _, f := range c.Functions {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

// Routes returns every route with its function, sorted by path then method.
func (c Cloud) Routes() []FunctionRoute {
	var out []FunctionRoute
	for _, f := range c.Functions {
		for _, r := range f.Routes {
			out = append(out, FunctionRoute{Route: r, Function: f.Name})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// FunctionRoute is a route and the function serving it.
type FunctionRoute struct {
	Route
	Function string
}

var (
	nameRe      = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	attrRe      = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	envRe       = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	pathSegRe   = regexp.MustCompile(`^([a-z0-9][a-z0-9._-]*|\{[a-z][a-z_0-9]*\+?\})$`)
	reservedEnv = []string{"AWS_", "LAMBDA_", "_HANDLER", "KIOSK_TABLE_", "KIOSK_SECRET_", "KIOSK_INVOKE_", contract.BusEnv, contract.FunctionEnv, RouteAuthEnv, contract.RouteLimitsEnv, "KIOSK_CLOCK_OFFSET"}
)

// Validate rejects a broken topology. It does not look at the file system;
// CheckFolders does.
func (c Cloud) Validate() error {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }

	if !nameRe.MatchString(c.Name) {
		fail("cloud name %q must be lower-case kebab", c.Name)
	}
	tables := map[string]bool{}
	for _, t := range c.Tables {
		if !nameRe.MatchString(t.Name) {
			fail("table %q: name must be lower-case kebab", t.Name)
		}
		if tables[t.Name] {
			fail("table %q declared twice", t.Name)
		}
		tables[t.Name] = true
		checkKey := func(what string, k Key) {
			if !attrRe.MatchString(k.Name) || (k.Type != String && k.Type != Number && k.Type != Binary) {
				fail("table %q: %s %+v must be a snake_case name with type S, N or B", t.Name, what, k)
			}
		}
		checkKey("partition key", t.PartitionKey)
		if t.SortKey != nil {
			checkKey("sort key", *t.SortKey)
		}
		indexes := map[string]bool{}
		for _, ix := range t.Indexes {
			if !nameRe.MatchString(ix.Name) || indexes[ix.Name] {
				fail("table %q: index %q must be a unique kebab name", t.Name, ix.Name)
			}
			indexes[ix.Name] = true
			checkKey("index "+ix.Name+" partition key", ix.PartitionKey)
			if ix.SortKey != nil {
				checkKey("index "+ix.Name+" sort key", *ix.SortKey)
			}
		}
		if t.TTL != "" && !attrRe.MatchString(t.TTL) {
			fail("table %q: TTL attribute %q must be snake_case", t.Name, t.TTL)
		}
	}

	secrets := map[string]bool{}
	for _, sc := range c.Secrets {
		if !nameRe.MatchString(sc.Name) || secrets[sc.Name] {
			fail("secret %q must be a unique kebab name", sc.Name)
		}
		secrets[sc.Name] = true
	}
	if c.Throttle.Rate <= 0 || c.Throttle.Burst <= 0 {
		fail("the default throttle needs a positive rate and burst")
	}
	functions := map[string]bool{}
	routes := map[string]string{}
	invoked := map[string]bool{}
	for _, f := range c.Functions {
		for _, name := range f.Invokes {
			invoked[name] = true
		}
	}
	for _, f := range c.Functions {
		if !nameRe.MatchString(f.Name) {
			fail("function %q: name must be lower-case kebab", f.Name)
		}
		if functions[f.Name] {
			fail("function %q declared twice", f.Name)
		}
		functions[f.Name] = true
		if !nameRe.MatchString(f.Domain) {
			fail("function %q: domain %q must be the lower-case name of its package under shared/", f.Name, f.Domain)
		}
		if n := len(f.Description); n > MaxDescription {
			fail("function %q: description is %d characters, over Lambda's %d", f.Name, n, MaxDescription)
		}
		if f.MemoryMB < 128 || f.MemoryMB > 10240 {
			fail("function %q: memory %d MB is outside 128-10240", f.Name, f.MemoryMB)
		}
		if f.Timeout < time.Second || f.Timeout > 15*time.Minute {
			fail("function %q: timeout %s is outside 1s-15m", f.Name, f.Timeout)
		}
		if len(f.Routes) > 0 && f.Timeout > 29*time.Second {
			fail("function %q: API functions must time out within API Gateway's 30 s limit, got %s", f.Name, f.Timeout)
		}
		if f.Concurrency < 0 || f.Concurrency > 1000 {
			fail("function %q: concurrency %d is outside 0-1000", f.Name, f.Concurrency)
		}
		if f.Name == c.Authorizer {
			if len(f.Routes) > 0 || f.Async() {
				fail("the authorizer %q must have no triggers of its own", f.Name)
			}
		} else if len(f.Routes) == 0 && !f.Async() && !invoked[f.Name] {
			fail("function %q has no trigger", f.Name)
		}
		for _, name := range f.Invokes {
			target, ok := c.Function(name)
			switch {
			case !ok:
				fail("function %q invokes %q, which is not a declared function", f.Name, name)
			case name == f.Name:
				fail("function %q invokes itself", f.Name)
			case name == c.Authorizer:
				fail("function %q invokes the authorizer %q, which only the gateway calls", f.Name, name)
			case c.StackOf(target) != c.StackOf(f):
				fail("function %q invokes %q of another stack (%s): declare them in one domain", f.Name, name, c.StackOf(target))
			}
		}
		for _, r := range f.Routes {
			if err := checkRoute(r); err != nil {
				fail("function %q: route %s: %v", f.Name, r.Key(), err)
			}
			if other, dup := routes[r.Key()]; dup {
				fail("route %s is declared by both %q and %q", r.Key(), other, f.Name)
			}
			routes[r.Key()] = f.Name
			if t := r.Throttle; t != nil && (t.Rate <= 0 || t.Burst <= 0 || t.Rate > c.Throttle.Rate || t.Burst > c.Throttle.Burst) {
				fail("function %q: route %s throttle %+v must be positive and within the default %+v", f.Name, r.Key(), *t, c.Throttle)
			}
			if r.MaxBody < 0 || r.MaxBody > MaxBodyLimit {
				fail("function %q: route %s body cap %d is outside 0-%d", f.Name, r.Key(), r.MaxBody, MaxBodyLimit)
			}
			if p := r.PerClient; p != nil {
				if p.Requests <= 0 || p.WindowSeconds <= 0 || p.WindowSeconds > 3600 {
					fail("function %q: route %s per-client limit %+v needs positive requests and a window of 1-3600 s", f.Name, r.Key(), *p)
				}
				if !slices.Contains(f.Grants, Grant{LimitsTable, Write}) && !slices.Contains(f.Grants, Grant{LimitsTable, ReadWrite}) {
					fail("function %q: route %s has a per-client limit: grant it %q Write for the counters", f.Name, r.Key(), LimitsTable)
				}
			}
			if r.Auth.Authorized() && c.Authorizer == "" {
				fail("function %q: route %s asks for %s auth, but the topology names no authorizer", f.Name, r.Key(), r.Auth)
			}
		}
		for _, s := range f.Schedules {
			if _, err := schedule.Parse(s.Expression); err != nil {
				fail("function %q: schedule: %v", f.Name, err)
			}
		}
		if len(f.Schedules) > 0 && !slices.Contains(f.Grants, Grant{RunsTable, Write}) && !slices.Contains(f.Grants, Grant{RunsTable, ReadWrite}) {
			fail("function %q runs on a schedule: grant it %q Write for its run records", f.Name, RunsTable)
		}
		rules := map[string]bool{}
		for _, r := range f.Rules {
			if !nameRe.MatchString(r.Name) || rules[r.Name] {
				fail("function %q: rule %q must be a unique kebab name", f.Name, r.Name)
			}
			rules[r.Name] = true
			problems := r.check()
			for _, p := range problems {
				fail("function %q: rule %q: %s", f.Name, r.Name, p)
			}
			// The generated pattern must also be one EventBridge takes.
			if _, err := pattern.Parse([]byte(r.Pattern())); err != nil && len(problems) == 0 {
				fail("function %q: rule %q: pattern %s: %v", f.Name, r.Name, r.Pattern(), err)
			}
		}
		granted := map[string]bool{}
		for _, g := range f.Grants {
			if !tables[g.Table] {
				fail("function %q: grant on unknown table %q", f.Name, g.Table)
			}
			if g.Access != Read && g.Access != Write && g.Access != ReadWrite {
				fail("function %q: grant on %q has unknown access %q", f.Name, g.Table, g.Access)
			}
			if granted[g.Table] {
				fail("function %q: two grants on table %q", f.Name, g.Table)
			}
			granted[g.Table] = true
		}
		for _, sc := range f.Secrets {
			if !secrets[sc] {
				fail("function %q reads unknown secret %q", f.Name, sc)
			}
		}
		for _, dt := range f.Publishes {
			if _, ok := events.Lookup(dt); !ok {
				fail("function %q publishes %q, which is not in the event catalogue", f.Name, dt)
			}
		}
		for k := range f.Env {
			if !envRe.MatchString(k) {
				fail("function %q: env %q must be UPPER_SNAKE", f.Name, k)
			}
			for _, r := range reservedEnv {
				if strings.HasPrefix(k, r) {
					fail("function %q: env %q is set by the platform", f.Name, k)
				}
			}
		}
	}
	if c.Authorizer != "" && !functions[c.Authorizer] {
		fail("the authorizer %q is not a declared function", c.Authorizer)
	}
	c.checkStacks(fail)
	if c.Monitoring.declared() {
		c.Monitoring.validate(c, fail)
	}
	if len(errs) > 0 {
		return fmt.Errorf("topology: %s", strings.Join(errs, "; "))
	}
	return nil
}

func checkRoute(r Route) error {
	switch r.Method {
	case "GET", "POST", "PUT", "PATCH", "DELETE":
	default:
		return fmt.Errorf("method must be GET, POST, PUT, PATCH or DELETE")
	}
	switch r.Auth {
	case Public, User, Admin, Console:
	default:
		return fmt.Errorf("auth must be public, user, admin or console")
	}
	if !strings.HasPrefix(r.Path, "/") || strings.HasSuffix(r.Path, "/") {
		return fmt.Errorf("path must start with / and not end with /")
	}
	segs := strings.Split(r.Path[1:], "/")
	params := map[string]bool{}
	for i, s := range segs {
		if !pathSegRe.MatchString(s) {
			return fmt.Errorf("bad path segment %q", s)
		}
		if strings.HasPrefix(s, "{") {
			name := strings.Trim(s, "{}+")
			if params[name] {
				return fmt.Errorf("path parameter %q repeated", name)
			}
			params[name] = true
			if strings.HasSuffix(s, "+}") && i != len(segs)-1 {
				return fmt.Errorf("a greedy parameter must be last")
			}
		}
	}
	return nil
}

// CheckFolders checks that every function has a folder with a main package under
// root/functions, its domain a package under root/shared, and every folder
// under functions is declared.
func (c Cloud) CheckFolders(root string) error {
	var errs []string
	declared := map[string]bool{}
	for _, f := range c.Functions {
		declared[f.Name] = true
		if _, err := os.Stat(filepath.Join(root, "functions", f.Name, "main.go")); err != nil {
			errs = append(errs, fmt.Sprintf("function %q has no functions/%s/main.go", f.Name, f.Name))
		}
		if st, err := os.Stat(filepath.Join(root, "shared", f.Domain)); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Sprintf("function %q: its domain %q has no shared/%s", f.Name, f.Domain, f.Domain))
		}
	}
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() && !declared[e.Name()] {
			errs = append(errs, fmt.Sprintf("functions/%s is not declared in the topology", e.Name()))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("topology: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Environment returns the variables the platform sets for a function, given the
// physical table names, secret ids and bus name: its own env, KIOSK_FUNCTION, a
// KIOSK_TABLE_* per granted table, a KIOSK_SECRET_* per secret, KIOSK_BUS if
// it publishes and a KIOSK_INVOKE_* per function it invokes (its name; the
// CDK stack puts the live alias's ARN in its place).
func (f Function) Environment(tableName, secretID func(string) string, bus string) map[string]string {
	env := map[string]string{contract.FunctionEnv: f.Name}
	for k, v := range f.Env {
		env[k] = v
	}
	for _, g := range f.Grants {
		env[contract.TableEnv(g.Table)] = tableName(g.Table)
	}
	for _, sc := range f.Secrets {
		env[contract.SecretEnv(sc)] = secretID(sc)
	}
	if len(f.Publishes) > 0 {
		env[contract.BusEnv] = bus
	}
	for _, name := range f.Invokes {
		env[contract.InvokeEnv(name)] = name
	}
	return env
}

// DynamoActions are the DynamoDB actions an access level allows, for the CDK
// policies and the local cloud's check alike.
func DynamoActions(a Access) []string {
	read := []string{"BatchGetItem", "ConditionCheckItem", "DescribeTable", "GetItem", "Query", "Scan"}
	write := []string{"BatchWriteItem", "ConditionCheckItem", "DeleteItem", "DescribeTable", "PutItem", "UpdateItem"}
	var out []string
	switch a {
	case Read:
		out = read
	case Write:
		out = write
	case ReadWrite:
		seen := map[string]bool{}
		for _, x := range append(append([]string{}, read...), write...) {
			if !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		}
	}
	return out
}
