// Package contract is what the cloud's description (infra/topology) and the
// functions agree on by name: every KIOSK_* environment variable, secret,
// role and table, the shape of the JSON the topology hands functions, and the
// category names every domain speaks. Both sides import it; nothing here
// reads the environment (boot does, once).
package contract

import (
	"strings"
	"time"
)

// Environment variables the topology sets and boot reads.
const (
	// BusEnv carries the event bus name to functions that publish.
	BusEnv = "KIOSK_BUS"
	// FunctionEnv carries the function's own name (as in the topology).
	FunctionEnv = "KIOSK_FUNCTION"
	// OperationsEnv carries, to operator functions, the JSON of Operations.
	OperationsEnv = "KIOSK_OPERATIONS"
	// RouteLimitsEnv carries, to API functions, the JSON of their routes'
	// RouteLimits by route key ("POST /v1/events").
	RouteLimitsEnv = "KIOSK_ROUTE_LIMITS"
	// RouteAuthEnv carries, to the authorizer, the JSON map of route key to
	// the role it requires ("user", "admin").
	RouteAuthEnv = "KIOSK_ROUTE_AUTH"
	// FetchAllowEnv lists host:port pairs a feed fetcher may reach although
	// they are private (the local cloud's sample feeds; empty in AWS).
	FetchAllowEnv = "KIOSK_FETCH_ALLOW"
	// CPUProfileEnv names the file a bootstrap built with -tags pprof (make
	// bench's profiling build, never a deployed one) writes its CPU profile
	// to, from init until SIGTERM. The topology never sets it: the stack test
	// holds that.
	CPUProfileEnv = "KIOSK_CPUPROFILE"
	// PublicAPIEnv carries the public HTTP API's base URL to functions that
	// hand it out (WebSub callbacks); the topology declares it, the CDK stack
	// and the local cloud fill it in.
	PublicAPIEnv = "KIOSK_PUBLIC_API_URL"
	// MetricsNamespaceEnv is the CloudWatch namespace of the function's
	// embedded metrics (Kiosk/<stage> in AWS; unset locally: Kiosk).
	MetricsNamespaceEnv = "KIOSK_METRICS_NAMESPACE"
)

// InvokeEnv carries, to a function that calls another synchronously
// (topology.Function.Invokes), the name to invoke it by: the function's live
// alias ARN in AWS, its name locally.
func InvokeEnv(function string) string {
	return "KIOSK_INVOKE_" + strings.ToUpper(strings.ReplaceAll(function, "-", "_"))
}

// MaxSyncPayload is Lambda's cap on a synchronous invocation's request and on
// its response: 6 MB (6,291,456 bytes, as its 413 says; the runtime interface
// emulator's too). The invoke client reads no longer answer, the local cloud
// refuses longer as Lambda does, and feed documents are bounded within it
// (feeddoc.MaxBody): the one declaration of it.
const MaxSyncPayload = 6 << 20

// ParseFeedFunction parses the feed documents ingestion fetches and WebSub
// hubs push (feedparse), invoked synchronously by ingest-feeds and
// websub-callback.
const ParseFeedFunction = "parse-feed"

// ParseFeedTimeout is parse-feed's Lambda timeout: the topology declares
// the function with it, and its callers try a crashed parse again only with
// that much time left.
const ParseFeedTimeout = 10 * time.Second

// TableEnv is the environment variable that carries a table's physical name to
// the functions granted it; the topology sets it, boot reads it.
func TableEnv(table string) string {
	return "KIOSK_TABLE_" + strings.ToUpper(strings.ReplaceAll(table, "-", "_"))
}

// SecretEnv carries the id (ARN in AWS) of a secret a function may read.
func SecretEnv(secret string) string {
	return "KIOSK_SECRET_" + strings.ToUpper(strings.ReplaceAll(secret, "-", "_"))
}

// Secrets.
const (
	// AdminTokenSecret is the admin API's bearer token.
	AdminTokenSecret = "admin-token"
	// TokenSigningSecret is the HMAC key that signs app-user tokens.
	TokenSigningSecret = "token-signing"
)

// Roles a token carries and a route requires.
const (
	RoleUser  = "user"
	RoleAdmin = "admin"
)

// Operations is what an operator function may act on: every asynchronous
// function's invoke target (its live alias in AWS) and dead-letter queue
// URL, and every batch with its schedules.
type Operations struct {
	Functions map[string]string `json:"functions"`
	Queues    map[string]string `json:"queues"`
	Batches   []Batch           `json:"batches"`
}

// Batch is a scheduled function, for operators.
type Batch struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Schedules   [][2]string `json:"schedules"` // expression, why
}

// RouteLimits is what a function enforces on one of its routes itself,
// because an HTTP API cannot: a body cap below API Gateway's fixed 10 MB, and
// a request limit per client (HTTP API stages throttle per route only, and
// AWS WAF does not attach to HTTP APIs).
type RouteLimits struct {
	MaxBody   int64        `json:"max_body"`
	PerClient *ClientLimit `json:"per_client,omitempty"`
}

// DefaultMaxBody is a route's body cap unless the topology gives it another.
const DefaultMaxBody = 64 << 10

// ClientLimit allows each client Requests per window of WindowSeconds. The
// client is the caller the authorizer let through on a protected route, and
// the source address on a public one.
type ClientLimit struct {
	Requests      int `json:"requests"`
	WindowSeconds int `json:"window_s"`
}

// ValidCategory reports whether s is a category name: what every domain
// accepts as a category (the articles' sources, the users' interests and the
// feeds all speak the same names).
func ValidCategory(s string) bool { return ValidSlug(s) }

// ValidSlug reports whether s is lower-case kebab of 2 to 40 characters,
// starting and ending with a letter or digit: ^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$,
// checked by hand because a package-level regexp is compiled in every
// importing bootstrap's init, which cold starts pay.
func ValidSlug(s string) bool {
	if len(s) < 2 || len(s) > 40 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}
