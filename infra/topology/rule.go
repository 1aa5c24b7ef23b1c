package topology

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/kiosk-news/kiosk/events"
)

// Rule subscribes a function to catalogued bus events. Declare it with On and
// narrow it with Where; its EventBridge pattern is generated (Pattern), so a
// rule can only name events the catalogue has and fields their details have.
//
//	On("on-article", events.ArticlePublishedType, events.ArticleModeratedType)
//	On("on-world", events.ArticlePublishedType).Where("category", "world", "science")
type Rule struct {
	Name string // unique per function, e.g. "on-heartbeat"
	// Types are the detail types it matches (events.Catalog), all of one
	// source: a rule per source.
	Types []string
	// Filters narrow the events to those whose detail has every filtered
	// field equal to one of its values.
	Filters []Filter
}

// Filter keeps events whose detail field Field equals one of Values (for an
// array field: holds one of them).
type Filter struct {
	// Field is a top-level field of the detail as it travels: its JSON name.
	Field string
	// Values are strings, booleans or numbers, as the field's Go type.
	Values []any
}

// On declares a rule named name matching the given detail types.
func On(name string, detailTypes ...string) Rule {
	return Rule{Name: name, Types: detailTypes}
}

// Where returns the rule narrowed to events whose detail field equals one of
// values; calls add up (every field must match).
func (r Rule) Where(field string, values ...any) Rule {
	r.Filters = append(slices.Clip(r.Filters), Filter{Field: field, Values: values})
	return r
}

// Sources are the rule's types' sources, without repeats, sorted; Validate
// allows exactly one.
func (r Rule) Sources() []string {
	var out []string
	for _, dt := range r.Types {
		if t, ok := events.Lookup(dt); ok && !slices.Contains(out, t.Source) {
			out = append(out, t.Source)
		}
	}
	slices.Sort(out)
	return out
}

// Pattern is the rule's EventBridge event pattern as JSON: its sources, its
// detail types in declaration order and, when filtered, the detail fields in
// declaration order. The CDK stack and the local bus both read it.
func (r Rule) Pattern() string {
	var b strings.Builder
	b.WriteString(`{"source":`)
	b.Write(mustJSON(nonNil(r.Sources())))
	b.WriteString(`,"detail-type":`)
	b.Write(mustJSON(nonNil(r.Types)))
	if len(r.Filters) > 0 {
		b.WriteString(`,"detail":{`)
		for i, f := range r.Filters {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(mustJSON(f.Field))
			b.WriteByte(':')
			b.Write(mustJSON(nonNil(f.Values)))
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return b.String()
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// mustJSON marshals what Pattern writes; a value JSON cannot hold (NaN) is
// written as null, which check refuses.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte("null")
	}
	return b
}

// check reports everything wrong with the rule's types and filters.
func (r Rule) check() []string {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if len(r.Types) == 0 {
		fail("it names no detail type: declare it with On(name, events.<Type>...)")
	}
	var known []events.Type
	for i, dt := range r.Types {
		t, ok := events.Lookup(dt)
		switch {
		case !ok:
			fail("it listens for %q, which is not in the event catalogue", dt)
		case slices.Contains(r.Types[:i], dt):
			fail("it names %q twice", dt)
		default:
			known = append(known, t)
		}
	}
	if src := r.Sources(); len(src) > 1 {
		var from []string
		for _, t := range known {
			from = append(from, t.DetailType+" from "+t.Source)
		}
		fail("it mixes sources (%s): EventBridge would match every source with every type; declare one rule per source", strings.Join(from, ", "))
	}
	var fields []string
	for _, f := range r.Filters {
		if slices.Contains(fields, f.Field) {
			fail("it filters on %q twice: list every value in one Where", f.Field)
			continue
		}
		fields = append(fields, f.Field)
		if len(f.Values) == 0 {
			fail("its filter on %q has no value", f.Field)
		}
		for _, t := range known {
			if err := checkFilter(t, f); err != nil {
				fail("%v", err)
			}
		}
	}
	return errs
}

// checkFilter checks a filter against a detail type's schema (generated from
// its Go struct, so what travels): the field exists and each value has its type.
func checkFilter(t events.Type, f Filter) error {
	props, _ := events.Schema(t)["properties"].(map[string]any)
	prop, ok := props[f.Field].(map[string]any)
	if !ok {
		names := make([]string, 0, len(props))
		for n := range props {
			names = append(names, n)
		}
		slices.Sort(names)
		return fmt.Errorf("it filters on %q, which %s's detail (events.%s) does not have; it has %s",
			f.Field, t.DetailType, t.Go.Name(), strings.Join(names, ", "))
	}
	typ, _ := prop["type"].(string)
	if typ == "array" {
		items, _ := prop["items"].(map[string]any)
		typ, _ = items["type"].(string)
	}
	for _, v := range f.Values {
		if !valueFits(typ, v) {
			return fmt.Errorf("it filters %s's %q, a JSON %s, on %#v (%T)", t.DetailType, f.Field, typ, v, v)
		}
	}
	return nil
}

func valueFits(jsonType string, v any) bool {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return false
	}
	switch k := rv.Kind(); jsonType {
	case "string":
		return k == reflect.String
	case "boolean":
		return k == reflect.Bool
	case "integer":
		return rv.CanInt() || rv.CanUint()
	case "number":
		return rv.CanInt() || rv.CanUint() || (rv.CanFloat() && !math.IsNaN(rv.Float()) && !math.IsInf(rv.Float(), 0))
	}
	return false // objects: EventBridge matches leaves, not whole objects
}
