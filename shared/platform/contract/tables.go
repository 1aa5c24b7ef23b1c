package contract

// KeyType is a DynamoDB attribute type.
type KeyType string

const (
	String KeyType = "S"
	Number KeyType = "N"
	Binary KeyType = "B"
)

// Key is one key attribute.
type Key struct {
	Name string
	Type KeyType
}

// Index is a global secondary index (projection ALL).
type Index struct {
	Name         string
	PartitionKey Key
	SortKey      *Key
}

// Table is a DynamoDB table owned by one domain.
type Table struct {
	// Name is the logical name; functions find the physical name in
	// TableEnv(Name).
	Name string
	// Domain owns the table: it lives in that domain's stack. PlatformDomain
	// puts it in the platform stack, where every domain may be granted it.
	Domain       string
	Description  string
	PartitionKey Key
	SortKey      *Key
	Indexes      []Index
	// TTL is the attribute holding an expiry in epoch seconds, if any.
	// Readers must still filter expired items: DynamoDB deletes them late.
	TTL string
}

// PlatformDomain owns the tables every domain may share: the batch runs,
// idempotency records, per-client limits, the console's accounts and audit
// log, and the sessions the platform's authorizer checks. They live in the
// platform stack; a domain's own tables live in its stack.
const PlatformDomain = "platform"

// Logical table names.
const (
	HealthTable      = "health"
	ArticlesTable    = "articles"
	UsersTable       = "users"
	SessionsTable    = "sessions"
	EventsTable      = "events"
	FeedTable        = "feed"
	RunsTable        = "runs"
	IdempotencyTable = "idempotency"
	LimitsTable      = "limits"
	ConsoleTable     = "console"
	// new-domain:table-names (make new-domain adds names above this line)
)

// Tables declares every table: the topology builds them (CDK and the local
// cloud) and the store tests create theirs from the same declarations.
func Tables() []Table {
	return []Table{
		{
			Name:         HealthTable,
			Domain:       "health",
			Description:  "Platform canary: the last heartbeat that went schedule → bus → consumer.",
			PartitionKey: Key{"id", String},
			TTL:          "expires_at",
		},
		{
			Name:   ArticlesTable,
			Domain: "article",
			Description: "Articles domain: articles (pk article#<id>), sources (source#<id>), WebSub subscriptions (websub#<id>) and the ingestion " +
				"checkpoint. Sparse indexes list visible articles newest first, by category and overall, every article by " +
				"ingestion time, a story's versions (by-story: pk story, sk published_at) and sources by next fetch (by-due). " +
				"Title postings (post#<token>#<id>, listed by by-kind under tok#<token> by ingestion time) let ingestion read only " +
				"the articles a new one could cluster with; they expire 72 h after their article's ingestion.",
			PartitionKey: Key{"pk", String},
			TTL:          "expires_at",
			Indexes: []Index{
				{Name: "by-category", PartitionKey: Key{"gsi1pk", String}, SortKey: &Key{"gsi1sk", String}},
				{Name: "by-kind", PartitionKey: Key{"gsi2pk", String}, SortKey: &Key{"gsi2sk", String}},
				{Name: "by-ingest", PartitionKey: Key{"gsi3pk", String}, SortKey: &Key{"gsi3sk", String}},
				// Every article by its story (as ingestion clustered it or an
				// editor moved it), so editors see and change a story's versions.
				{Name: "by-story", PartitionKey: Key{"story", String}, SortKey: &Key{"published_at", String}},
				// Sources by their next fetch (gsi4sk: the time, then the id), so
				// the ingestion batch reads only the due ones.
				{Name: "by-due", PartitionKey: Key{"gsi4pk", String}, SortKey: &Key{"gsi4sk", String}},
			},
		},
		{
			Name:         UsersTable,
			Domain:       "user",
			Description:  "Users domain: one item per anonymous app install (explicit and learned interests).",
			PartitionKey: Key{"id", String},
		},
		{
			Name:   SessionsTable,
			Domain: PlatformDomain,
			Description: "Users domain: each install's live session (pk u#<user>, one fixed-size item) and its refresh " +
				"tokens by SHA-256 (rt#<hash>, used once); each expires with its refresh token, 30 days after the last refresh.",
			PartitionKey: Key{"pk", String},
			TTL:          "expires_at",
		},
		{
			Name:   EventsTable,
			Domain: "tracking",
			Description: "Tracking domain: app events (pk ev#<user>#<id>, expiring after 35 days), the article " +
				"catalogue, KPI partials per period and shard (article chunks), marks of hours to recompute, trending marks.",
			PartitionKey: Key{"pk", String},
			Indexes: []Index{
				{Name: "by-hour", PartitionKey: Key{"hk", String}, SortKey: &Key{"pk", String}},
			},
			TTL: "expires_at",
		},
		{
			Name:   FeedTable,
			Domain: "feed",
			Description: "Feed and notifications domain: its copy of articles (a#<id>; by-time lists them), " +
				"per-day article numbers, ranked pages per category (pg#<cat>), user profiles and reads (u#<user>), " +
				"interest index (in#<cat>) and inboxes (nb#<user>).",
			PartitionKey: Key{"pk", String},
			SortKey:      &Key{"sk", String},
			Indexes: []Index{
				{Name: "by-time", PartitionKey: Key{"tpk", String}, SortKey: &Key{"tsk", String}},
			},
			TTL: "expires_at",
		},
		{
			Name:         RunsTable,
			Domain:       PlatformDomain,
			Description:  "Platform: one record per batch run (pk run#<function>, sk start time): trigger, status, duration, counts; kept 30 days.",
			PartitionKey: Key{"pk", String},
			SortKey:      &Key{"sk", String},
			TTL:          "expires_at",
		},
		{
			Name:         IdempotencyTable,
			Domain:       PlatformDomain,
			Description:  "Platform: idempotency records (pk idem#<scope>#<client key>): in progress, then the result, kept an hour.",
			PartitionKey: Key{"pk", String},
			TTL:          "expires_at",
		},
		{
			Name:   LimitsTable,
			Domain: PlatformDomain,
			Description: "Platform: per-client request counters (pk <route>#<hashed client>#<window start>), " +
				"one conditional update per limited request; expire with their window.",
			PartitionKey: Key{"pk", String},
			TTL:          "expires_at",
		},
		{
			Name:   ConsoleTable,
			Domain: PlatformDomain,
			Description: "Platform: the admin console's editor accounts (pk editor, sk <email>), one-time invitations " +
				"(inv#<sha256>) and sessions (ses#<sha256>) stored hashed and expiring, and the audit log (pk audit, sk <time>#<n>), " +
				"one item per change, kept 400 days.",
			PartitionKey: Key{"pk", String},
			SortKey:      &Key{"sk", String},
			TTL:          "expires_at",
		},
		// new-domain:tables (make new-domain adds tables above this line)
	}
}

// FindTable returns the declaration of a table by logical name.
func FindTable(name string) (Table, bool) {
	for _, t := range Tables() {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}
