package topology

import (
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
)

// Kiosk is the one description of Kiosk's cloud. Read it to learn the system:
// every Lambda, what triggers it, which tables and secrets it may touch and what
// it publishes. The CDK stack (infra/stack) and the local cloud (infra/local)
// are both built from it.
func Kiosk() Cloud {
	return Cloud{
		Name:     "kiosk",
		Throttle: Throttle{Rate: 200, Burst: 400},
		// A browser app sends what the TypeScript client sends and reads the
		// headers the spec documents; lower-case, as API Gateway compares.
		CORS: CORS{
			Origins:       []string{"http://localhost:3000"},
			Methods:       []string{"GET", "POST", "PUT", "PATCH", "DELETE"},
			AllowHeaders:  []string{"authorization", "content-type", "idempotency-key"},
			ExposeHeaders: []string{"location", "retry-after", "idempotent-replayed", "x-request-id", "apigw-requestid"},
			MaxAge:        time.Hour,
		},
		Authorizer: "authorizer",
		// The tables are declared in shared/platform/contract (tables.go), where
		// the store tests read them too.
		Tables: contract.Tables(),
		Secrets: []Secret{
			{Name: AdminTokenSecret, Description: "The admin API's bearer token (locally KIOSK_ADMIN_TOKEN)."},
			{Name: contract.TokenSigningSecret, Description: "HMAC key that signs app-user tokens (read by the users API and the authorizer)."},
		},
		Monitoring: Monitoring{
			// 99.9% of a month's API requests answered without a 5xx, and p99
			// within a second: a month's budget is 43 minutes of total outage.
			SLO: SLO{Availability: 0.999, LatencyMS: 1000, Window: 30 * 24 * time.Hour},
			Alarms: []MetricAlarm{
				{Name: "top-stale", Description: "the newest story in top is more than 15 minutes old (or ranking stopped reporting)",
					Metric: metrics.FeedFreshness, Statistic: "Minimum", Period: 15 * time.Minute, Threshold: 15 * 60,
					GreaterThan: true, MissingBreaches: true, Runbook: "top-is-stale"},
				// A broken source is fetched ever more rarely (backoff doubling to a
				// day), so "failed in every run" never holds for long: the alarm
				// reads each failing run's longest streak instead, over two days.
				{Name: "sources-failing", Description: "a source failed 3 or more times in a row (in the last two days)",
					Metric: metrics.FailureStreak, Statistic: "Maximum", Period: 24 * time.Hour, Periods: 2, Threshold: 2,
					GreaterThan: true, Runbook: "sources-failing"},
			},
			Queries: []Query{
				{Name: "request-by-id", Text: "fields @timestamp, function, msg, route, status, duration_ms, error, trace\n" +
					"| filter request_id = \"REQUEST_ID\" or trace = \"TRACE_ID\"\n| sort @timestamp asc"},
				{Name: "user-events", Text: "fields @timestamp, accepted, duplicates, refused, trace\n" +
					"| filter msg = \"events\" and user_id = \"USER_ID\"\n| sort @timestamp desc\n| limit 200"},
				{Name: "source-failures", Text: "fields @timestamp, report.due, report.failed, report.fetched, trace\n" +
					"| filter msg = \"ingest\" and report.failed > 0\n| sort @timestamp desc\n| limit 50"},
				{Name: "slowest-routes", Text: "filter msg = \"request\"\n" +
					"| stats count(*) as requests, pct(duration_ms, 50) as p50, pct(duration_ms, 99) as p99, max(duration_ms) as slowest by route\n" +
					"| sort p99 desc"},
				{Name: "errors", Text: "fields @timestamp, function, msg, error, request_id, trace\n" +
					"| filter level = \"ERROR\"\n| sort @timestamp desc\n| limit 100"},
			},
		},
		Functions: []Function{
			{
				Name:        "health-api",
				Domain:      "health",
				Description: "GET /v1/health: checks its table is reachable and reports the last heartbeat.",
				Routes:      []Route{{Method: "GET", Path: "/v1/health", Auth: Public}},
				Grants:      []Grant{{"health", Read}},
				MemoryMB:    128,
				Timeout:     5 * time.Second,
			},
			{
				Name:        "heartbeat",
				Domain:      "health",
				Description: "Scheduled canary: publishes platform.heartbeat on every run.",
				Schedules:   []Schedule{{"rate(5 minutes)", "prove schedules and the bus deliver"}},
				Grants:      []Grant{{RunsTable, Write}},
				Publishes:   []string{events.HeartbeatType},
				MemoryMB:    128,
				Timeout:     10 * time.Second,
			},
			{
				Name:        "record-heartbeat",
				Domain:      "health",
				Description: "Stores each platform.heartbeat (idempotent by event id) for /v1/health.",
				Rules:       []Rule{On("on-heartbeat", events.HeartbeatType)},
				Grants:      []Grant{{"health", Write}},
				MemoryMB:    128,
				Timeout:     10 * time.Second,
			},
			{
				Name:        "articles-api",
				Domain:      "article",
				Description: "Public article reads: the newest articles by category, and one article.",
				Routes: []Route{
					{Method: "GET", Path: "/v1/articles", Auth: Public},
					{Method: "GET", Path: "/v1/articles/{id}", Auth: Public},
				},
				Grants:   []Grant{{"articles", Read}},
				MemoryMB: 256,
				Timeout:  10 * time.Second,
			},
			{
				Name:   "articles-admin-api",
				Domain: "article",
				Description: "Admin API for news sources (list, create, read, update, delete, fetch on the next run), article moderation and " +
					"stories (a story's versions, split, merge, lead).",
				Routes: []Route{
					{Method: "PUT", Path: "/admin/api/articles/{id}/moderation", Auth: Admin},
					{Method: "PUT", Path: "/admin/api/articles/{id}/story", Auth: Admin},
					{Method: "GET", Path: "/admin/api/stories/{id}", Auth: Admin},
					{Method: "PUT", Path: "/admin/api/stories/{id}/lead", Auth: Admin},
					{Method: "GET", Path: "/admin/api/sources", Auth: Admin},
					{Method: "POST", Path: "/admin/api/sources", Auth: Admin},
					{Method: "GET", Path: "/admin/api/sources/{id}", Auth: Admin},
					{Method: "PUT", Path: "/admin/api/sources/{id}", Auth: Admin},
					{Method: "DELETE", Path: "/admin/api/sources/{id}", Auth: Admin},
					{Method: "POST", Path: "/admin/api/sources/{id}/refetch", Auth: Admin},
				},
				// The fetcher's allow list: a source URL naming one of these host:port
				// pairs passes the early private-address check (empty in AWS).
				Env: map[string]string{contract.FetchAllowEnv: ""},
				// The audit log: every change, by "admin-token".
				Grants:    []Grant{{"articles", ReadWrite}, {ConsoleTable, Write}},
				Publishes: []string{events.ArticleModeratedType},
				MemoryMB:  256,
				Timeout:   10 * time.Second,
			},
			{
				Name:   "ingest-feeds",
				Domain: "article",
				Description: "Ingestion batch: fetch the sources that are due (each at its own adaptive interval), store new " +
					"articles once, cluster stories, subscribe feeds that name a WebSub hub and keep their leases " +
					"(announce-articles relays the articles to the bus).",
				// ingest.BatchPeriod is this rate (a test holds them equal).
				Schedules: []Schedule{{"rate(5 minutes)", "poll the sources that are due; renew WebSub leases"}},
				Grants:    []Grant{{"articles", ReadWrite}, {RunsTable, Write}},
				// Every fetched document is parsed by parse-feed.
				Invokes: []string{contract.ParseFeedFunction},
				// host:port pairs the fetcher may reach despite the private-address
				// rule; empty in AWS, the sample-feed server locally. The public
				// API's URL makes the WebSub callbacks.
				Env:         map[string]string{contract.FetchAllowEnv: "", contract.PublicAPIEnv: ""},
				MemoryMB:    512,
				Timeout:     5 * time.Minute,
				Concurrency: 1,
			},
			{
				Name:   "websub-callback",
				Domain: "article",
				Description: "WebSub subscriber callback: answers hubs' verification of intent for subscriptions we asked for, " +
					"and stores signed pushed content through the ingestion path, announcing new articles at once.",
				Routes: []Route{
					{Method: "GET", Path: "/v1/websub/{id}", Auth: Public, Throttle: &Throttle{Rate: 20, Burst: 40},
						MaxBody: 1 << 10, PerClient: &ClientLimit{Requests: 120, WindowSeconds: 60}},
					// A hub pushes a feed document (the fetcher's cap is 4 MiB; a
					// push is one update: 1 MiB).
					{Method: "POST", Path: "/v1/websub/{id}", Auth: Public, Throttle: &Throttle{Rate: 50, Burst: 100},
						MaxBody: 1 << 20, PerClient: &ClientLimit{Requests: 600, WindowSeconds: 60}},
				},
				Grants:    []Grant{{"articles", ReadWrite}, {LimitsTable, Write}},
				Invokes:   []string{contract.ParseFeedFunction},
				Publishes: []string{events.ArticlePublishedType},
				MemoryMB:  512,
				Timeout:   20 * time.Second,
			},
			{
				Name:   contract.ParseFeedFunction,
				Domain: "article",
				Description: "Parses one feed document into normalized items for ingest-feeds and websub-callback, which " +
					"invoke it synchronously. No grants: hostile feed bytes meet the XML parser with no credentials to any table.",
				// No Grants, no Secrets, no Publishes: its role allows its logs only.
				// Its request is at most a 4 MiB document, base64 in JSON (5.33 MiB),
				// below Lambda's 6 MB synchronous payload (feeddoc.MaxBody). 512 MB
				// and 10 s, from the worst documents feedparse's shape bounds admit
				// (TestParseFeedsPeakOnTheWorstAdmittedDocuments): a peak of 210 MiB
				// warm (2.4× under 512 MB) and 0.75 s a parse at one core here,
				// about 2.6 s at 512 MB's 0.29 vCPU (3.8× under 10 s), 1.3 GB-s
				// ($0.000017) at worst; a usual feed costs a few ms. More memory
				// would buy CPU in proportion, the same GB-s for this CPU-bound
				// parse, and no margin the bounds do not already give.
				MemoryMB: 512,
				Timeout:  contract.ParseFeedTimeout,
			},
			{
				Name:   "announce-articles",
				Domain: "article",
				Description: "Outbox relay: announces stored articles as article.published, in ingestion order, " +
					"moving a checkpoint only after the bus accepted them.",
				Schedules:   []Schedule{{"rate(1 minute)", "relay new articles to the bus"}},
				Grants:      []Grant{{"articles", ReadWrite}, {RunsTable, Write}},
				Publishes:   []string{events.ArticlePublishedType},
				MemoryMB:    256,
				Timeout:     time.Minute,
				Concurrency: 1,
			},
			{
				Name:   "authorizer",
				Domain: "user",
				Description: "Lambda authorizer for user and admin routes: verifies user access tokens (signature, " +
					"expiry, and on a cache miss that their session is live: one read) and the admin token, passes user_id and role on.",
				Grants:   []Grant{{"sessions", Read}},
				Secrets:  []string{AdminTokenSecret, contract.TokenSigningSecret},
				MemoryMB: 128,
				Timeout:  5 * time.Second,
			},
			{
				Name:   "users-api",
				Domain: "user",
				Description: "Anonymous registration and sessions (access tokens, rotating refresh tokens, sign-out " +
					"everywhere); a user's own profile and interests.",
				Routes: []Route{
					{Method: "POST", Path: "/v1/users", Auth: Public, Throttle: &Throttle{Rate: 20, Burst: 40},
						MaxBody: 4 << 10, PerClient: &ClientLimit{Requests: 20, WindowSeconds: 60}},
					// Public: the access token has usually expired when the app
					// refreshes; the refresh token in the body is the credential.
					{Method: "POST", Path: "/v1/users/token/refresh", Auth: Public, Throttle: &Throttle{Rate: 50, Burst: 100},
						MaxBody: 1 << 10, PerClient: &ClientLimit{Requests: 30, WindowSeconds: 60}},
					{Method: "POST", Path: "/v1/users/me/sign-out", Auth: User},
					{Method: "GET", Path: "/v1/users/me", Auth: User},
					{Method: "PUT", Path: "/v1/users/me/interests", Auth: User, MaxBody: 4 << 10},
				},
				Grants:    []Grant{{"users", ReadWrite}, {"sessions", ReadWrite}, {"idempotency", ReadWrite}, {LimitsTable, Write}},
				Secrets:   []string{contract.TokenSigningSecret},
				Publishes: []string{events.InterestsChangedType},
				MemoryMB:  256,
				Timeout:   10 * time.Second,
			},
			{
				Name:   "tracking-api",
				Domain: "tracking",
				Description: "App events in (each stored once by id, tagged with the user's A/B variants; opened articles " +
					"announced) and the admin KPI and experiment reports out.",
				Routes: []Route{
					// A batch holds up to 500 events of at most ~1 KB each.
					{Method: "POST", Path: "/v1/events", Auth: User, Throttle: &Throttle{Rate: 100, Burst: 200},
						MaxBody: 512 << 10, PerClient: &ClientLimit{Requests: 120, WindowSeconds: 60}},
					{Method: "GET", Path: "/admin/api/kpi", Auth: Admin},
					{Method: "GET", Path: "/admin/api/experiments", Auth: Admin},
				},
				Grants:    []Grant{{"events", ReadWrite}, {LimitsTable, Write}},
				Publishes: []string{events.UserReadType},
				MemoryMB:  512,
				Timeout:   15 * time.Second,
			},
			{
				Name:        "track-articles",
				Domain:      "tracking",
				Description: "Keeps tracking's own article catalogue (category, source) from article.published.",
				Rules:       []Rule{On("on-article-published", events.ArticlePublishedType)},
				Grants:      []Grant{{"events", Write}},
				MemoryMB:    128,
				Timeout:     10 * time.Second,
			},
			{
				Name:   "aggregate-kpi",
				Domain: "tracking",
				Description: "KPI batch: the coordinator fans the marked days out per user shard and announces trending " +
					"articles; shard workers recompute exact, idempotent partials of the marked hours and their day.",
				Schedules: []Schedule{{"rate(5 minutes)", "recompute every hour accepted events marked, and its day"}},
				Rules:     []Rule{On("on-kpi-shard", events.KPIShardRequestedType)},
				Grants:    []Grant{{"events", ReadWrite}, {RunsTable, Write}},
				Publishes: []string{events.KPIShardRequestedType, events.ArticleTrendingType, events.UserEngagedType, events.ArticleStatsType},
				MemoryMB:  512,
				Timeout:   2 * time.Minute,
			},
			{
				Name:        "learn-interests",
				Domain:      "user",
				Description: "Learns users' category interests from user.engaged, decayed, once per hour per user.",
				Rules:       []Rule{On("on-user-engaged", events.UserEngagedType)},
				Grants:      []Grant{{"users", ReadWrite}},
				Publishes:   []string{events.InterestsChangedType},
				MemoryMB:    128,
				Timeout:     30 * time.Second,
			},
			{
				Name:   "feed-events",
				Domain: "feed",
				Description: "Keeps the feed domain's copy of articles, their numbers, users' reads and interests " +
					"from events; asks for a ranking run when a feed changes.",
				Rules: []Rule{
					On("on-article", events.ArticlePublishedType, events.ArticleModeratedType),
					On("on-tracking", events.ArticleTrendingType, events.ArticleStatsType, events.UserReadType),
					On("on-interests", events.InterestsChangedType),
				},
				Grants:    []Grant{{"feed", ReadWrite}},
				Publishes: []string{events.RankRequestedType},
				MemoryMB:  256,
				Timeout:   30 * time.Second,
			},
			{
				Name:   "rank-feeds",
				Domain: "feed",
				Description: "Ranking batch: scores the window's articles (smoothed CTR × decay × source weight, " +
					"pinned first, diversified) and stores every category's pages.",
				Schedules:   []Schedule{{"rate(5 minutes)", "re-rank as clicks come in and articles age"}},
				Rules:       []Rule{On("on-rank-requested", events.RankRequestedType)},
				Grants:      []Grant{{"feed", ReadWrite}, {RunsTable, Write}},
				MemoryMB:    512,
				Timeout:     2 * time.Minute,
				Concurrency: 1,
			},
			{
				Name:        "feed-api",
				Domain:      "feed",
				Description: "The home screen: a category's ranked feed (public) and the user's personal feed.",
				Routes: []Route{
					{Method: "GET", Path: "/v1/feed", Auth: Public},
					{Method: "GET", Path: "/v1/feed/me", Auth: User},
				},
				Grants:   []Grant{{"feed", Read}},
				MemoryMB: 256,
				Timeout:  10 * time.Second,
			},
			{
				Name:        "notify-trending",
				Domain:      "feed",
				Description: "Records article.trending once under its category; every interested reader's inbox shows it on read.",
				Rules: []Rule{
					On("on-trending", events.ArticleTrendingType),
				},
				Grants:   []Grant{{"feed", ReadWrite}},
				MemoryMB: 256,
				Timeout:  time.Minute,
			},
			{
				Name:        "notifications-api",
				Domain:      "feed",
				Description: "A user's in-app inbox: list (newest first) and mark read.",
				Routes: []Route{
					{Method: "GET", Path: "/v1/notifications", Auth: User},
					// Each request is up to MaxMarkRead conditional writes.
					{Method: "POST", Path: "/v1/notifications/read", Auth: User,
						MaxBody: 8 << 10, PerClient: &ClientLimit{Requests: 60, WindowSeconds: 60}},
				},
				Grants:   []Grant{{"feed", ReadWrite}, {LimitsTable, Write}},
				MemoryMB: 128,
				Timeout:  10 * time.Second,
			},
			{
				Name:   "admin-console",
				Domain: "console",
				Description: "The admin console for editors: sign-in with editor accounts (invitations, server-side sessions), " +
					"sources (forms generated from the domain structs), KPI charts and experiments, accounts and the audit log.",
				Routes: []Route{
					{Method: "GET", Path: "/admin/login", Auth: Console},
					{Method: "POST", Path: "/admin/login", Auth: Console, Throttle: &Throttle{Rate: 5, Burst: 10},
						MaxBody: 4 << 10, PerClient: &ClientLimit{Requests: 10, WindowSeconds: 300}},
					{Method: "GET", Path: "/admin/assets/{file}", Auth: Console},
					{Method: "POST", Path: "/admin/logout", Auth: Console},
					{Method: "GET", Path: "/admin", Auth: Console},
					{Method: "GET", Path: "/admin/sources", Auth: Console},
					{Method: "POST", Path: "/admin/sources", Auth: Console},
					{Method: "GET", Path: "/admin/sources/{id}", Auth: Console},
					{Method: "POST", Path: "/admin/sources/{id}", Auth: Console},
					{Method: "POST", Path: "/admin/sources/{id}/delete", Auth: Console},
					{Method: "POST", Path: "/admin/sources/{id}/refetch", Auth: Console},
					{Method: "GET", Path: "/admin/kpi", Auth: Console},
					{Method: "GET", Path: "/admin/experiments", Auth: Console},
					{Method: "GET", Path: "/admin/join", Auth: Console},
					{Method: "POST", Path: "/admin/join", Auth: Console, Throttle: &Throttle{Rate: 5, Burst: 10},
						MaxBody: 4 << 10, PerClient: &ClientLimit{Requests: 10, WindowSeconds: 300}},
					{Method: "GET", Path: "/admin/editors", Auth: Console},
					{Method: "POST", Path: "/admin/editors/invitations", Auth: Console},
					{Method: "POST", Path: "/admin/editors/remove", Auth: Console},
					{Method: "GET", Path: "/admin/account", Auth: Console},
					{Method: "POST", Path: "/admin/account/password", Auth: Console},
					{Method: "GET", Path: "/admin/audit", Auth: Console},
					// Break glass: the admin token invites the first operator.
					{Method: "POST", Path: "/admin/api/editors/invitations", Auth: Admin},
				},
				// The fetcher's allow list: a source URL naming one of these host:port
				// pairs passes the early private-address check (empty in AWS).
				Env:      map[string]string{contract.FetchAllowEnv: ""},
				Grants:   []Grant{{"articles", ReadWrite}, {"events", Read}, {LimitsTable, Write}, {ConsoleTable, ReadWrite}},
				MemoryMB: 256,
				Timeout:  15 * time.Second,
			},
			{
				Name:   "admin-moderation",
				Domain: "console",
				Description: "The admin console's article pages: the article list with hide/pin and stories (versions, split, merge, " +
					"lead), announced as article.moderated; the only console function that publishes. Sign-in is admin-console's.",
				Routes: []Route{
					{Method: "GET", Path: "/admin/articles", Auth: Console},
					{Method: "POST", Path: "/admin/articles/{id}/moderation", Auth: Console},
					{Method: "POST", Path: "/admin/articles/{id}/story", Auth: Console},
					{Method: "GET", Path: "/admin/stories/{id}", Auth: Console},
					{Method: "POST", Path: "/admin/stories/{id}/lead", Auth: Console},
				},
				Grants:    []Grant{{"articles", ReadWrite}, {ConsoleTable, ReadWrite}},
				Publishes: []string{events.ArticleModeratedType},
				MemoryMB:  256,
				Timeout:   15 * time.Second,
			},
			{
				Name:   "admin-ops",
				Domain: "console",
				Description: "The admin console for operators: batches (schedule, last runs, run now) and every " +
					"function's dead letters (redrive), through Lambda Invoke and SQS.",
				Routes: []Route{
					{Method: "GET", Path: "/admin/batches", Auth: Console},
					{Method: "POST", Path: "/admin/batches/{name}/run", Auth: Console},
					{Method: "GET", Path: "/admin/dead-letters", Auth: Console},
					{Method: "POST", Path: "/admin/dead-letters/redrive", Auth: Console},
					{Method: "POST", Path: "/admin/dead-letters/redrive-all", Auth: Console},
				},
				Grants:   []Grant{{RunsTable, Read}, {ConsoleTable, ReadWrite}},
				Operator: true,
				MemoryMB: 256,
				Timeout:  15 * time.Second,
			},
			// new-domain:functions (make new-domain adds functions above this line)
		},
	}
}
