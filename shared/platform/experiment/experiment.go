// Package experiment declares Kiosk's A/B experiments, in one place, and
// assigns users to their variants.
//
// An experiment names its variants with their shares and the parameters
// each sets; the domain that runs it reads the parameters (the feed domain's
// ranking, for the feed-* experiments), and the tracking domain tags every
// accepted event with the variants its user was in at the event's time, so
// the KPI batch reports each variant's numbers.
//
// Assignment hashes the experiment's name and salt with the user id
// (SHA-256) into a point of [0, 1) and takes the variant whose share covers
// it. So a user's variant is stable, needs no stored state, and is
// independent of the user's variant in any other experiment (their hashes
// are unrelated); unlike user id mod N it does not give the same users the
// same arm in every experiment, nor depend on how ids were minted.
package experiment

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Variant is one arm: its name, its share (a weight: shares are relative)
// and the parameters it sets (empty: the defaults, i.e. control).
type Variant struct {
	Name   string
	Weight int
	Params map[string]float64
}

// Experiment is one A/B test, running in [Start, End).
type Experiment struct {
	Name        string
	Description string
	// Salt changes every user's draw: a new salt is a new, independent
	// assignment (use it to re-run an experiment on fresh splits).
	Salt       string
	Start, End time.Time
	Variants   []Variant
}

// All is every declared experiment. The feed domain's parameters are
// documented in feed.Params; a variant without parameters is the control.
var All = []Experiment{
	{
		Name: "feed-freshness",
		Description: "Does a shorter ranking half-life (8 h instead of 12 h) and more discovery from top (30% " +
			"instead of 20%) make readers click and read more?",
		Salt:  "2026-12-01",
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		End:   time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC),
		Variants: []Variant{
			{Name: "control", Weight: 50},
			{Name: "fresher", Weight: 50, Params: map[string]float64{"half_life_hours": 8, "top_share": 0.3}},
		},
	},
}

// Tag names a user's variant in an experiment: "<experiment>=<variant>".
func Tag(experiment, variant string) string { return experiment + "=" + variant }

// Split parses a tag.
func Split(tag string) (experiment, variant string, ok bool) { return strings.Cut(tag, "=") }

var nameRe = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

// Validate checks a declaration: names, shares, dates.
func (e Experiment) Validate() error {
	if !nameRe.MatchString(e.Name) || e.Salt == "" || !e.End.After(e.Start) || len(e.Variants) < 2 {
		return fmt.Errorf("experiment %q: needs a lower-case name, a salt, End after Start and two variants or more", e.Name)
	}
	seen := map[string]bool{}
	for _, v := range e.Variants {
		if !nameRe.MatchString(v.Name) || v.Weight <= 0 || seen[v.Name] {
			return fmt.Errorf("experiment %s: variant %q needs a unique lower-case name and a positive weight", e.Name, v.Name)
		}
		seen[v.Name] = true
	}
	return nil
}

// Active reports whether the experiment runs at t.
func (e Experiment) Active(t time.Time) bool { return !t.Before(e.Start) && t.Before(e.End) }

// Assign returns the user's variant.
func (e Experiment) Assign(userID string) Variant {
	h := sha256.Sum256([]byte(e.Name + "\x00" + e.Salt + "\x00" + userID))
	// 53 bits make an exactly representable point of [0, 1).
	x := float64(binary.BigEndian.Uint64(h[:8])>>11) / (1 << 53)
	total := 0
	for _, v := range e.Variants {
		total += v.Weight
	}
	acc := 0.0
	for _, v := range e.Variants {
		acc += float64(v.Weight) / float64(total)
		if x < acc {
			return v
		}
	}
	return e.Variants[len(e.Variants)-1]
}

// Share is a variant's expected share of users.
func (e Experiment) Share(variant string) float64 {
	total, w := 0, 0
	for _, v := range e.Variants {
		total += v.Weight
		if v.Name == variant {
			w = v.Weight
		}
	}
	if total == 0 {
		return 0
	}
	return float64(w) / float64(total)
}

// Find returns the declared experiment of that name.
func Find(name string) (Experiment, bool) {
	for _, e := range All {
		if e.Name == name {
			return e, true
		}
	}
	return Experiment{}, false
}

// Tags lists the user's variants in the experiments active at t, as tags.
func Tags(userID string, t time.Time) []string {
	var out []string
	for _, e := range All {
		if e.Active(t) {
			out = append(out, Tag(e.Name, e.Assign(userID).Name))
		}
	}
	return out
}

// Params returns the parameters the user's variants set in the experiments
// active at t whose name starts with prefix (e.g. "feed-"), and the tags of
// those variants (so a domain can keep one result per combination).
func Params(prefix, userID string, t time.Time) (map[string]float64, []string) {
	params := map[string]float64{}
	var tags []string
	for _, e := range All {
		if !e.Active(t) || !strings.HasPrefix(e.Name, prefix) {
			continue
		}
		v := e.Assign(userID)
		tags = append(tags, Tag(e.Name, v.Name))
		for k, x := range v.Params {
			params[k] = x
		}
	}
	return params, tags
}
