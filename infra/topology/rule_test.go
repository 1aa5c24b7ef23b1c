package topology

import (
	"slices"
	"strings"
	"testing"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/infra/pattern"
)

// todaysPatterns are the rule patterns as they were written by hand before
// rules were declared from the catalogue, byte for byte: the CDK template and
// the local bus read exactly these.
var todaysPatterns = map[string]string{
	"record-heartbeat/on-heartbeat":       `{"source":["kiosk.platform"],"detail-type":["platform.heartbeat"]}`,
	"track-articles/on-article-published": `{"source":["kiosk.articles"],"detail-type":["article.published"]}`,
	"aggregate-kpi/on-kpi-shard":          `{"source":["kiosk.tracking"],"detail-type":["kpi.shard.requested"]}`,
	"learn-interests/on-user-engaged":     `{"source":["kiosk.tracking"],"detail-type":["user.engaged"]}`,
	"feed-events/on-article":              `{"source":["kiosk.articles"],"detail-type":["article.published","article.moderated"]}`,
	"feed-events/on-tracking":             `{"source":["kiosk.tracking"],"detail-type":["article.trending","article.stats","user.read"]}`,
	"feed-events/on-interests":            `{"source":["kiosk.users"],"detail-type":["user.interests.changed"]}`,
	"rank-feeds/on-rank-requested":        `{"source":["kiosk.feed"],"detail-type":["feed.rank.requested"]}`,
	"notify-trending/on-trending":         `{"source":["kiosk.tracking"],"detail-type":["article.trending"]}`,
}

// TestTypedRulesGenerateTheSamePatternsAsBefore: every rule's generated
// pattern is byte-identical to the JSON that was written by hand, so the CDK
// template and the local cloud did not change.
func TestTypedRulesGenerateTheSamePatternsAsBefore(t *testing.T) {
	got := map[string]string{}
	for _, f := range Kiosk().Functions {
		for _, r := range f.Rules {
			got[f.Name+"/"+r.Name] = r.Pattern()
		}
	}
	for k, want := range todaysPatterns {
		if got[k] != want {
			t.Errorf("%s: pattern\n %s\nwant\n %s", k, got[k], want)
		}
	}
	for k := range got {
		if _, ok := todaysPatterns[k]; !ok {
			t.Errorf("%s is a new rule: add its pattern here once reviewed", k)
		}
	}
}

// TestAFilteredRuleMatchesOnlyTheEventsItNames: Where narrows a rule to
// detail values; the generated pattern is valid, and the local bus's matcher
// lets through exactly the named values.
func TestAFilteredRuleMatchesOnlyTheEventsItNames(t *testing.T) {
	c := Kiosk()
	r := On("on-world", events.ArticlePublishedType).Where("category", "world", "science").Where("source_weight", 2)
	c.Functions[2].Rules = []Rule{r}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	want := `{"source":["kiosk.articles"],"detail-type":["article.published"],"detail":{"category":["world","science"],"source_weight":[2]}}`
	if got := r.Pattern(); got != want {
		t.Fatalf("Pattern() = %s, want %s", got, want)
	}
	p, err := pattern.Parse([]byte(r.Pattern()))
	if err != nil {
		t.Fatal(err)
	}
	event := func(source, category string) []byte {
		return []byte(`{"source":"` + source + `","detail-type":"article.published","detail":{"category":"` + category + `","source_weight":2}}`)
	}
	for _, tc := range []struct {
		event []byte
		want  bool
	}{
		{event("kiosk.articles", "world"), true},
		{event("kiosk.articles", "science"), true},
		{event("kiosk.articles", "sport"), false},
		{event("kiosk.tracking", "world"), false},
	} {
		if got := p.Match(tc.event); got != tc.want {
			t.Errorf("Match(%s) = %v, want %v", tc.event, got, tc.want)
		}
	}
}

// TestFiltersAcceptTheFieldsTypes: booleans on booleans, numbers on
// integers, strings on arrays of strings (EventBridge matches any element),
// and a rule shared by two events filtering on a field both have.
func TestFiltersAcceptTheFieldsTypes(t *testing.T) {
	for _, r := range []Rule{
		On("a", events.ArticleModeratedType).Where("hidden", true),
		On("b", events.KPIShardRequestedType).Where("shard", 0, 1).Where("granularity", "day"),
		On("c", events.UserReadType).Where("article_ids", "a1"),
		On("d", events.ArticlePublishedType, events.ArticleModeratedType).Where("id", "a1"),
		On("e", events.HeartbeatType).Where("at", "2026-01-01T00:00:00Z"),
	} {
		if errs := r.check(); len(errs) > 0 {
			t.Errorf("%s: %s", r.Pattern(), strings.Join(errs, "; "))
		}
	}
	for _, r := range []Rule{
		On("a", events.KPIShardRequestedType).Where("shard", 1.5),
		On("b", events.ArticleStatsType).Where("articles", "a1"),
		On("c", events.UserEngagedType).Where("hour", nil),
	} {
		if errs := r.check(); len(errs) == 0 {
			t.Errorf("%s passed, want its filter refused", r.Pattern())
		}
	}
}

// TestWhereNeverChangesTheRuleItStartedFrom: rules are values; narrowing one
// twice gives two independent rules.
func TestWhereNeverChangesTheRuleItStartedFrom(t *testing.T) {
	base := On("a", events.ArticlePublishedType).Where("category", "world")
	base.Filters = slices.Grow(base.Filters, 4)
	one, two := base.Where("language", "en"), base.Where("language", "fr")
	if len(base.Filters) != 1 || one.Filters[1].Values[0] != "en" || two.Filters[1].Values[0] != "fr" {
		t.Errorf("base %v, one %v, two %v", base.Filters, one.Filters, two.Filters)
	}
}
