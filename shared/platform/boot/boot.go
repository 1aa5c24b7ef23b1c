// Package boot is every function's init and its composition root: Init reads
// the environment the topology set, once, into one Env that owns the AWS
// configuration, the DynamoDB client, the function's tables, its bus
// route limits and run recorder, and from which bus.Open and secret.Open build
// the publisher and read the secrets. Init also sets GOMAXPROCS to the vCPUs
// the function's memory size buys (procs.Set). A main asks the Env for what it declared and hands it to its domain's service and to
// httpapi.Start or trigger.Start; nothing else in a function reads the
// environment. A function that cannot get what it declared in the topology
// logs why and exits, so Lambda reports an init error instead of serving
// half-configured.
package boot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/guregu/dynamo/v2"

	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/logs"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
	"github.com/kiosk-news/kiosk/shared/platform/procs"
	"github.com/kiosk-news/kiosk/shared/platform/ratelimit"
	_ "github.com/kiosk-news/kiosk/shared/platform/selfprofile" // make bench's self-profiling, only with -tags pprof
	"github.com/kiosk-news/kiosk/shared/platform/store"
)

// Env is a function's environment, read once at init. The clients of other
// AWS services are built from it by their own packages — bus.Open(env, …),
// secret.Open(env, …) — so a binary links only the SDK clients its main asks
// for: owning them here put the EventBridge and Secrets Manager clients in
// every bootstrap (+0.35 MiB; two functions over the 10 MiB budget).
type Env struct {
	// AWS is the SDK configuration (region, credentials, call counting).
	AWS aws.Config
	// Function is the function's name in the topology.
	Function string

	lookup func(string) string
	db     *dynamo.DB
}

// Init sets up logging, reads the environment and loads the AWS
// configuration.
func Init() *Env {
	e, err := FromEnv(os.Getenv)
	must("environment", err)
	return e
}

// FromEnv builds an Env from a variable lookup (os.Getenv in a function; a
// map in a test).
func FromEnv(lookup func(string) string) (*Env, error) {
	e := &Env{Function: lookup(contract.FunctionEnv), lookup: lookup}
	procs.Set(lookup)
	logs.Setup(e.Function)
	metrics.Setup(e.Function, lookup(contract.MetricsNamespaceEnv))
	if v := lookup(clock.OffsetEnv); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s=%q: %w", clock.OffsetEnv, v, err)
		}
		clock.SetOffset(time.Duration(n))
	}
	cfg, err := awsenv.Load(context.Background())
	if err != nil {
		return nil, err
	}
	e.AWS = cfg
	return e, nil
}

// Var returns a setting the topology gives this function in its Env map
// (e.g. contract.FetchAllowEnv); "" when unset.
func (e *Env) Var(name string) string { return e.lookup(name) }

// DB is the DynamoDB client, built once.
func (e *Env) DB() *dynamo.DB {
	if e.db == nil {
		e.db = store.Open(e.AWS)
	}
	return e.db
}

// Table returns a table the function is granted (contract.*Table), or exits.
func (e *Env) Table(logical string) dynamo.Table {
	return Must(e.table(logical))
}

func (e *Env) table(logical string) (dynamo.Table, error) {
	name := e.lookup(contract.TableEnv(logical))
	if name == "" {
		return dynamo.Table{}, fmt.Errorf("table %q: %s is not set; is the function granted it in the topology?", logical, contract.TableEnv(logical))
	}
	return store.Table(e.DB(), name), nil
}

// Operations is what an operator function may act on, or exits.
func (e *Env) Operations() contract.Operations {
	var ops contract.Operations
	must("operations", json.Unmarshal([]byte(e.lookup(contract.OperationsEnv)), &ops))
	return ops
}

// RouteAuth is the authorizer's table of route key → required role.
func (e *Env) RouteAuth() map[string]string {
	var routes map[string]string
	must("route auth", json.Unmarshal([]byte(e.lookup(contract.RouteAuthEnv)), &routes))
	return routes
}

// RouteLimits are the function's routes' limits by route key, and the
// limiter counting requests when any route limits each client (it opens the
// limits table, which the topology then grants).
func (e *Env) RouteLimits() (map[string]contract.RouteLimits, *ratelimit.Limiter) {
	var routes map[string]contract.RouteLimits
	if v := e.lookup(contract.RouteLimitsEnv); v != "" {
		must("route limits", json.Unmarshal([]byte(v), &routes))
	}
	for _, r := range routes {
		if r.PerClient != nil {
			return routes, &ratelimit.Limiter{Table: e.Table(contract.LimitsTable)}
		}
	}
	return routes, nil
}

// RunsTable is the table batch runs are recorded in, when the function is
// granted it.
func (e *Env) RunsTable() (dynamo.Table, bool) {
	t, err := e.table(contract.RunsTable)
	return t, err == nil
}

// Must returns v, or logs err and exits: for init steps.
func Must[T any](v T, err error) T {
	must("init", err)
	return v
}

// Fail logs why init failed and exits.
func Fail(what string, err error) { must(what, err) }

func must(what string, err error) {
	if err != nil {
		slog.Error("init failed", "what", what, "error", err.Error())
		os.Exit(1)
	}
}
