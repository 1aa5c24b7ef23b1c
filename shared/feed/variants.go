package feed

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/shared/platform/experiment"
)

// Feed experiments: every experiment named feed-* (declared in
// shared/platform/experiment) ranks its variants' feeds with the parameters
// they set. The ranking run ranks every combination of the active feed
// experiments' variants that sets parameters, and stores each under its own
// key (category~<variant tags>), so serving a variant's page is still one
// read. A user is served the combination they are assigned; the public feed,
// which knows no user, is always the default.

// MaxVariantFeeds bounds the rankings one run makes (the default included):
// each costs a ranking and its chunks' writes.
const MaxVariantFeeds = 4

// variantRanking is one combination of variants with its parameters.
type variantRanking struct {
	key    string // "" for the default parameters
	params Params
}

// feedVariants lists the rankings the feed experiments active at now need:
// the default and every combination of variants that sets parameters.
func feedVariants(now time.Time) ([]variantRanking, error) {
	combos := []struct {
		tags []string
		set  map[string]float64
	}{{set: map[string]float64{}}}
	for _, e := range experiment.All {
		if !e.Active(now) || !strings.HasPrefix(e.Name, "feed-") {
			continue
		}
		var next []struct {
			tags []string
			set  map[string]float64
		}
		for _, c := range combos {
			for _, v := range e.Variants {
				n := struct {
					tags []string
					set  map[string]float64
				}{append([]string(nil), c.tags...), map[string]float64{}}
				for k, x := range c.set {
					n.set[k] = x
				}
				if len(v.Params) > 0 {
					n.tags = append(n.tags, experiment.Tag(e.Name, v.Name))
				}
				for k, x := range v.Params {
					n.set[k] = x
				}
				next = append(next, n)
			}
		}
		combos = next
	}
	seen := map[string]bool{}
	var out []variantRanking
	for _, c := range combos {
		key := strings.Join(c.tags, ",")
		if seen[key] {
			continue
		}
		seen[key] = true
		p, err := ParamsFrom(c.set)
		if err != nil {
			return nil, fmt.Errorf("variant %q: %w", key, err)
		}
		out = append(out, variantRanking{key: key, params: p})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	if len(out) > MaxVariantFeeds {
		return nil, fmt.Errorf("the active feed experiments need %d rankings, more than %d", len(out), MaxVariantFeeds)
	}
	return out, nil
}

// userVariant is the ranking a user is served at now: the key of their
// variants that set parameters ("" when none does) and the parameters.
func userVariant(userID string, now time.Time) (string, Params) {
	var tags []string
	set := map[string]float64{}
	for _, e := range experiment.All {
		if !e.Active(now) || !strings.HasPrefix(e.Name, "feed-") {
			continue
		}
		v := e.Assign(userID)
		if len(v.Params) > 0 {
			tags = append(tags, experiment.Tag(e.Name, v.Name))
		}
		for k, x := range v.Params {
			set[k] = x
		}
	}
	p, err := ParamsFrom(set)
	if err != nil { // a declaration the tests refuse; serve the default
		return "", DefaultParams()
	}
	return strings.Join(tags, ","), p
}

// feedKey is where a feed's chunks are stored for a variant key.
func feedKey(category, variant string) string {
	if variant == "" {
		return category
	}
	return category + "~" + variant
}
