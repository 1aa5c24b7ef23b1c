package topology

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/article/ingest"
	"github.com/kiosk-news/kiosk/shared/auth"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// TestAnEndedSessionStopsWithinTheAuthorizerCache: the gateway caches an
// authorizer decision per token; an access token must outlive that cache by
// far, or revoking a session would wait for the token to expire instead.
func TestAnEndedSessionStopsWithinTheAuthorizerCache(t *testing.T) {
	if AuthorizerCacheTTL <= 0 || AuthorizerCacheTTL*2 > auth.AccessTTL || auth.AccessTTL > time.Hour {
		t.Errorf("authorizer cache %s, access tokens %s: want access tokens of at most an hour and a cache under half of that", AuthorizerCacheTTL, auth.AccessTTL)
	}
	c := Kiosk()
	for _, f := range c.Functions {
		if f.Name != c.Authorizer {
			continue
		}
		for _, g := range f.Grants {
			if g.Table == "sessions" && g.Access == Read {
				return
			}
		}
	}
	t.Error("the authorizer may not read the sessions table, so it cannot see an ended session")
}

func TestKioskIsValid(t *testing.T) {
	c := Kiosk()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckFolders(filepath.Join("..", "..")); err != nil {
		t.Fatal(err)
	}
}

func TestValidateRejects(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(c *Cloud)
		want   string
	}{
		{"two routes on the same method and path", func(c *Cloud) {
			c.Functions[1].Routes = []Route{{Method: "GET", Path: "/v1/health", Auth: Public}}
		}, "declared by both"},
		{"a grant on an unknown table", func(c *Cloud) {
			c.Functions[0].Grants = append(c.Functions[0].Grants, Grant{"nope", Read})
		}, `unknown table "nope"`},
		{"an invalid schedule expression", func(c *Cloud) {
			c.Functions[1].Schedules = []Schedule{{"rate(5 minute)", ""}}
		}, "plural"},
		{"a one-time schedule, which EventBridge rules do not take", func(c *Cloud) {
			c.Functions[1].Schedules = []Schedule{{"at(2030-01-01T00:00:00)", ""}}
		}, "rate(...) or cron(...)"},
		{"a rule on an event nobody declared", func(c *Cloud) {
			c.Functions[2].Rules[0] = On("on-heartbeat", "made.up")
		}, `rule "on-heartbeat": it listens for "made.up", which is not in the event catalogue`},
		{"a rule on no event", func(c *Cloud) {
			c.Functions[2].Rules[0] = On("on-heartbeat")
		}, "names no detail type"},
		{"a rule naming one event twice", func(c *Cloud) {
			c.Functions[2].Rules[0] = On("on-heartbeat", events.HeartbeatType, events.HeartbeatType)
		}, `names "platform.heartbeat" twice`},
		{"a rule mixing two sources' events", func(c *Cloud) {
			c.Functions[2].Rules[0] = On("on-heartbeat", events.HeartbeatType, events.ArticlePublishedType)
		}, "it mixes sources (platform.heartbeat from kiosk.platform, article.published from kiosk.articles)"},
		{"a filter on a field the detail does not have", func(c *Cloud) {
			c.Functions[2].Rules[0] = On("on-heartbeat", events.HeartbeatType).Where("category", "world")
		}, `it filters on "category", which platform.heartbeat's detail (events.Heartbeat) does not have; it has at, run`},
		{"a filter on a field only one of the rule's events has", func(c *Cloud) {
			c.Functions[2].Rules[0] = On("on-article", events.ArticlePublishedType, events.ArticleModeratedType).Where("category", "world")
		}, `which article.moderated's detail (events.ArticleModerated) does not have`},
		{"a filter on a Go field name instead of its JSON name", func(c *Cloud) {
			c.Functions[2].Rules[0] = On("on-article", events.ArticlePublishedType).Where("SourceID", "s1")
		}, `it filters on "SourceID"`},
		{"a filter whose value has the wrong type", func(c *Cloud) {
			c.Functions[2].Rules[0] = On("on-moderated", events.ArticleModeratedType).Where("hidden", "yes")
		}, `it filters article.moderated's "hidden", a JSON boolean, on "yes" (string)`},
		{"a filter with no value", func(c *Cloud) {
			c.Functions[2].Rules[0] = On("on-heartbeat", events.HeartbeatType).Where("run")
		}, `its filter on "run" has no value`},
		{"two filters on one field", func(c *Cloud) {
			c.Functions[2].Rules[0] = On("on-article", events.ArticlePublishedType).Where("category", "world").Where("category", "top")
		}, `it filters on "category" twice`},
		{"publishing an undeclared event", func(c *Cloud) {
			c.Functions[1].Publishes = []string{"made.up"}
		}, "not in the event catalogue"},
		{"a function with no trigger", func(c *Cloud) {
			c.Functions[1].Schedules = nil
		}, "has no trigger"},
		{"an API function slower than API Gateway allows", func(c *Cloud) {
			c.Functions[0].Timeout = time.Minute
		}, "30 s"},
		{"a bad path", func(c *Cloud) {
			c.Functions[0].Routes[0].Path = "/v1/../x"
		}, "bad path segment"},
		{"a greedy parameter in the middle", func(c *Cloud) {
			c.Functions[0].Routes[0].Path = "/v1/{rest+}/x"
		}, "greedy"},
		{"an unknown method", func(c *Cloud) {
			c.Functions[0].Routes[0].Method = "TRACE"
		}, "method must be"},
		{"a platform env var set by hand", func(c *Cloud) {
			c.Functions[0].Env = map[string]string{"AWS_REGION": "x"}
		}, "set by the platform"},
		{"a table declared twice", func(c *Cloud) {
			c.Tables = append(c.Tables, c.Tables[0])
		}, "declared twice"},
		{"a function declared twice", func(c *Cloud) {
			c.Functions = append(c.Functions, c.Functions[1])
		}, "declared twice"},
		{"a bad key type", func(c *Cloud) {
			c.Tables[0].PartitionKey.Type = "X"
		}, "type S, N or B"},
		{"a route throttle looser than the default", func(c *Cloud) {
			c.Functions[0].Routes[0].Throttle = &Throttle{Rate: c.Throttle.Rate * 2, Burst: 1}
		}, "within the default"},
		{"an unknown secret", func(c *Cloud) {
			c.Functions[0].Secrets = []string{"nope"}
		}, `unknown secret "nope"`},
		{"a per-client limit without the counters' table", func(c *Cloud) {
			c.Functions[0].Routes[0].PerClient = &ClientLimit{Requests: 10, WindowSeconds: 60}
		}, `grant it "limits" Write`},
		{"a per-client limit with no window", func(c *Cloud) {
			c.Functions[0].Routes[0].PerClient = &ClientLimit{Requests: 10}
		}, "window of 1-3600 s"},
		{"a body cap past Lambda's payload", func(c *Cloud) {
			c.Functions[0].Routes[0].MaxBody = 8 << 20
		}, "body cap"},
		{"a function without a domain", func(c *Cloud) {
			c.Functions[0].Domain = ""
		}, `function "health-api": domain "" must be`},
		{"too little memory", func(c *Cloud) {
			c.Functions[0].MemoryMB = 64
		}, "memory"},
		{"a description longer than Lambda takes", func(c *Cloud) {
			c.Functions[0].Description = strings.Repeat("x", MaxDescription+1)
		}, "description is 257 characters"},
		{"invoking an undeclared function", func(c *Cloud) {
			c.Functions[0].Invokes = []string{"nope"}
		}, `invokes "nope", which is not a declared function`},
		{"invoking a function of another stack", func(c *Cloud) {
			c.Functions[0].Invokes = []string{contract.ParseFeedFunction} // health-api, in the health stack
		}, "of another stack"},
		{"a function invoking itself", func(c *Cloud) {
			f := &c.Functions[slices.IndexFunc(c.Functions, func(f Function) bool { return f.Name == contract.ParseFeedFunction })]
			f.Invokes = []string{f.Name}
		}, "invokes itself"},
		{"a function no one invokes and nothing triggers", func(c *Cloud) {
			for i := range c.Functions {
				c.Functions[i].Invokes = nil
			}
		}, `function "parse-feed" has no trigger`},
		{"an environment variable in the invoke targets' namespace", func(c *Cloud) {
			c.Functions[0].Env = map[string]string{contract.InvokeEnv("parse-feed"): "x"}
		}, "set by the platform"},
	}
	for _, tc := range cases {
		t.Run("it rejects "+tc.name, func(t *testing.T) {
			c := Kiosk()
			tc.break_(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestTheFeedParserIsInvokedAndGrantedNothing: parse-feed, where hostile feed
// bytes meet the XML parser, has no table, secret or bus grant and no
// trigger; the two ingestion functions invoke it and get its name.
func TestTheFeedParserIsInvokedAndGrantedNothing(t *testing.T) {
	c := Kiosk()
	f, ok := c.Function(contract.ParseFeedFunction)
	if !ok {
		t.Fatal("no parse-feed in the topology")
	}
	if len(f.Grants)+len(f.Secrets)+len(f.Publishes)+len(f.Routes)+len(f.Rules)+len(f.Schedules)+len(f.Invokes) != 0 || f.Operator || f.Env != nil {
		t.Errorf("parse-feed = %+v; want nothing granted and no trigger", f)
	}
	for _, name := range []string{"ingest-feeds", "websub-callback"} {
		caller, _ := c.Function(name)
		env := caller.Environment(func(t string) string { return t }, func(s string) string { return s }, "bus")
		if !slices.Contains(caller.Invokes, f.Name) || env[contract.InvokeEnv(f.Name)] != f.Name {
			t.Errorf("%s: Invokes %v, %s=%q; want parse-feed named", name, caller.Invokes, contract.InvokeEnv(f.Name), env[contract.InvokeEnv(f.Name)])
		}
	}
}

// TestValidateAcceptsQuartzCron: Quartz's cron, wrapping past midnight,
// passes Validate as EventBridge takes it.
func TestValidateAcceptsQuartzCron(t *testing.T) {
	c := Kiosk()
	c.Functions[1].Schedules = []Schedule{{"cron(0/30 20-2 ? * MON-FRI *)", "wraps past midnight"}}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
}

// TestRouteLimitsReachTheFunctions: every API function gets its routes' caps
// and per-client limits, with the default cap filled in.
func TestRouteLimitsReachTheFunctions(t *testing.T) {
	c := Kiosk()
	f, _ := c.Function("tracking-api")
	env := c.FunctionEnv(f, func(s string) string { return s }, func(s string) string { return s }, "bus")
	var got map[string]contract.RouteLimits
	if err := json.Unmarshal([]byte(env[contract.RouteLimitsEnv]), &got); err != nil {
		t.Fatal(err)
	}
	ev, kpi := got["POST /v1/events"], got["GET /admin/api/kpi"]
	if ev.MaxBody != 512<<10 || ev.PerClient == nil || ev.PerClient.Requests != 120 || kpi.MaxBody != DefaultMaxBody || kpi.PerClient != nil {
		t.Errorf("tracking-api's limits: %+v", got)
	}
	if env[contract.TableEnv(LimitsTable)] == "" {
		t.Error("tracking-api limits clients but is not given the limits table")
	}
}

func TestCheckFoldersRejects(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "functions", "stray"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := Kiosk().CheckFolders(root)
	if err == nil {
		t.Fatal("CheckFolders passed on an empty tree")
	}
	for _, want := range []string{"no functions/health-api/main.go", `its domain "health" has no shared/health`, "functions/stray is not declared"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("CheckFolders() = %v, want it to mention %q", err, want)
		}
	}
}

// TestIngestionBatchPeriodIsItsSchedule: ingestion brings each source's poll
// forward by ingest.BatchPeriod so the run that polls it comes within its
// interval; that holds only while the period is ingest-feeds' rate.
func TestIngestionBatchPeriodIsItsSchedule(t *testing.T) {
	for _, f := range Kiosk().Functions {
		if f.Name != "ingest-feeds" {
			continue
		}
		want := fmt.Sprintf("rate(%d minutes)", int(ingest.BatchPeriod/time.Minute))
		if len(f.Schedules) != 1 || f.Schedules[0].Expression != want {
			t.Errorf("ingest-feeds runs on %v; ingest.BatchPeriod says %s", f.Schedules, want)
		}
		return
	}
	t.Fatal("no ingest-feeds")
}

// TestMarkingReadIsLimitedPerClient: each mark-read request is up to
// feed.MaxMarkRead conditional writes, so one client's requests are counted
// like the other write routes'.
func TestMarkingReadIsLimitedPerClient(t *testing.T) {
	for _, f := range Kiosk().Functions {
		for _, r := range f.Routes {
			if r.Key() == "POST /v1/notifications/read" && r.Limits().PerClient == nil {
				t.Errorf("%s has no per-client limit", r.Key())
			}
		}
	}
}
