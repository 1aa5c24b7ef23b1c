package topology

import (
	"time"

	"github.com/kiosk-news/kiosk/events"
)

// Kiosk is the one description of Kiosk's cloud. Read it to learn the system:
// every Lambda, what triggers it, which tables and secrets it may touch and what
// it publishes. The CDK stack (infra/stack) and the local cloud (infra/local)
// are both built from it.
func Kiosk() Cloud {
	return Cloud{
		Name:       "kiosk",
		Throttle:   Throttle{Rate: 200, Burst: 400},
		Authorizer: "authorizer",
		Tables: []Table{
			{
				Name:         "health",
				Description:  "Platform canary: the last heartbeat that went schedule → bus → consumer.",
				PartitionKey: Key{"id", String},
				TTL:          "expires_at",
			},
			{
				Name: "articles",
				Description: "Articles domain: articles (pk article#<id>), sources (source#<id>) and the ingestion " +
					"checkpoint. Sparse indexes list visible articles newest first, by category and overall.",
				PartitionKey: Key{"pk", String},
				Indexes: []Index{
					{Name: "by-category", PartitionKey: Key{"gsi1pk", String}, SortKey: &Key{"gsi1sk", String}},
					{Name: "by-kind", PartitionKey: Key{"gsi2pk", String}, SortKey: &Key{"gsi2sk", String}},
					{Name: "by-ingest", PartitionKey: Key{"gsi3pk", String}, SortKey: &Key{"gsi3sk", String}},
				},
			},
			{
				Name:         "users",
				Description:  "Users domain: one item per anonymous app install (explicit and learned interests).",
				PartitionKey: Key{"id", String},
			},
			{
				Name: "events",
				Description: "Tracking domain: app events (pk ev#<user>#<id>, expiring after 35 days), the article " +
					"catalogue, KPI partials per period and shard, trending marks.",
				PartitionKey: Key{"pk", String},
				Indexes: []Index{
					{Name: "by-hour", PartitionKey: Key{"hk", String}, SortKey: &Key{"pk", String}},
				},
				TTL: "expires_at",
			},
			// new-domain:tables (make new-domain adds tables above this line)
		},
		Secrets: []Secret{
			{Name: AdminTokenSecret, Description: "The admin API's bearer token (locally KIOSK_ADMIN_TOKEN)."},
			{Name: "token-signing", Description: "HMAC key that signs app-user tokens (read by the users API and the authorizer)."},
		},
		Functions: []Function{
			{
				Name:        "health-api",
				Description: "GET /v1/health: checks its table is reachable and reports the last heartbeat.",
				Routes:      []Route{{Method: "GET", Path: "/v1/health", Auth: Public}},
				Grants:      []Grant{{"health", Read}},
				MemoryMB:    128,
				Timeout:     5 * time.Second,
			},
			{
				Name:        "heartbeat",
				Description: "Scheduled canary: publishes platform.heartbeat on every run.",
				Schedules:   []Schedule{{"rate(5 minutes)", "prove schedules and the bus deliver"}},
				Publishes:   []string{events.HeartbeatType},
				MemoryMB:    128,
				Timeout:     10 * time.Second,
			},
			{
				Name:        "record-heartbeat",
				Description: "Stores each platform.heartbeat (idempotent by event id) for /v1/health.",
				Rules: []Rule{{
					Name:    "on-heartbeat",
					Pattern: `{"source":["kiosk.platform"],"detail-type":["platform.heartbeat"]}`,
				}},
				Grants:   []Grant{{"health", Write}},
				MemoryMB: 128,
				Timeout:  10 * time.Second,
			},
			{
				Name:        "articles-api",
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
				Name:        "articles-admin-api",
				Description: "Admin API for news sources: list, create, read, update, delete.",
				Routes: []Route{
					{Method: "GET", Path: "/admin/api/sources", Auth: Admin},
					{Method: "POST", Path: "/admin/api/sources", Auth: Admin},
					{Method: "GET", Path: "/admin/api/sources/{id}", Auth: Admin},
					{Method: "PUT", Path: "/admin/api/sources/{id}", Auth: Admin},
					{Method: "DELETE", Path: "/admin/api/sources/{id}", Auth: Admin},
				},
				Grants:   []Grant{{"articles", ReadWrite}},
				MemoryMB: 256,
				Timeout:  10 * time.Second,
			},
			{
				Name: "ingest-feeds",
				Description: "Ingestion batch: fetch every due source, store new articles once, cluster stories " +
					"(announce-articles relays them to the bus).",
				Schedules: []Schedule{{"rate(15 minutes)", "fetch the news"}},
				Grants:    []Grant{{"articles", ReadWrite}},
				// host:port pairs the fetcher may reach despite the private-address
				// rule; empty in AWS, the sample-feed server locally.
				Env:         map[string]string{"KIOSK_FETCH_ALLOW": ""},
				MemoryMB:    512,
				Timeout:     5 * time.Minute,
				Concurrency: 1,
			},
			{
				Name: "announce-articles",
				Description: "Outbox relay: announces stored articles as article.published, in ingestion order, " +
					"moving a checkpoint only after the bus accepted them.",
				Schedules:   []Schedule{{"rate(1 minute)", "relay new articles to the bus"}},
				Grants:      []Grant{{"articles", ReadWrite}},
				Publishes:   []string{events.ArticlePublishedType},
				MemoryMB:    256,
				Timeout:     time.Minute,
				Concurrency: 1,
			},
			{
				Name: "authorizer",
				Description: "Lambda authorizer for user and admin routes: verifies user tokens and the admin token, " +
					"passes user_id and role on.",
				Secrets:  []string{AdminTokenSecret, "token-signing"},
				MemoryMB: 128,
				Timeout:  5 * time.Second,
			},
			{
				Name:        "users-api",
				Description: "Anonymous registration and tokens; a user's own profile and interests.",
				Routes: []Route{
					{Method: "POST", Path: "/v1/users", Auth: Public, Throttle: &Throttle{Rate: 20, Burst: 40}},
					{Method: "POST", Path: "/v1/users/me/token", Auth: User},
					{Method: "GET", Path: "/v1/users/me", Auth: User},
					{Method: "PUT", Path: "/v1/users/me/interests", Auth: User},
				},
				Grants:   []Grant{{"users", ReadWrite}},
				Secrets:  []string{"token-signing"},
				MemoryMB: 256,
				Timeout:  10 * time.Second,
			},
			{
				Name:        "tracking-api",
				Description: "App events in (each stored once by id) and the admin KPI report out.",
				Routes: []Route{
					{Method: "POST", Path: "/v1/events", Auth: User, Throttle: &Throttle{Rate: 100, Burst: 200}},
					{Method: "GET", Path: "/admin/api/kpi", Auth: Admin},
				},
				Grants:   []Grant{{"events", ReadWrite}},
				MemoryMB: 512,
				Timeout:  15 * time.Second,
			},
			{
				Name:        "track-articles",
				Description: "Keeps tracking's own article catalogue (category, source) from article.published.",
				Rules: []Rule{{
					Name:    "on-article-published",
					Pattern: `{"source":["kiosk.articles"],"detail-type":["article.published"]}`,
				}},
				Grants:   []Grant{{"events", Write}},
				MemoryMB: 128,
				Timeout:  10 * time.Second,
			},
			{
				Name: "aggregate-kpi",
				Description: "KPI batch: the coordinator fans periods out per user shard and announces trending " +
					"articles; shard workers recompute exact, idempotent partials.",
				Schedules: []Schedule{{"rate(5 minutes)", "bring the current hour and day up to date"}},
				Rules: []Rule{{
					Name:    "on-kpi-shard",
					Pattern: `{"source":["kiosk.tracking"],"detail-type":["kpi.shard.requested"]}`,
				}},
				Grants:    []Grant{{"events", ReadWrite}},
				Publishes: []string{events.KPIShardType, events.ArticleTrendingType, events.UserEngagedType},
				MemoryMB:  512,
				Timeout:   2 * time.Minute,
			},
			{
				Name:        "learn-interests",
				Description: "Learns users' category interests from user.engaged, decayed, once per hour per user.",
				Rules: []Rule{{
					Name:    "on-user-engaged",
					Pattern: `{"source":["kiosk.tracking"],"detail-type":["user.engaged"]}`,
				}},
				Grants:   []Grant{{"users", ReadWrite}},
				MemoryMB: 128,
				Timeout:  30 * time.Second,
			},
			// new-domain:functions (make new-domain adds functions above this line)
		},
	}
}
