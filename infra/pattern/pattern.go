// Package pattern parses and matches Amazon EventBridge event patterns, so the
// topology can reject a broken pattern before deploy and the local cloud can route
// bus events with the same rules EventBridge applies.
//
// Supported: exact values (string, number, boolean, null), nested fields, arrays
// in events (any element may match), "prefix", "suffix", "equals-ignore-case",
// "anything-but" (a value, a list, or {"prefix": …}), "numeric" ranges and
// "exists". Anything else (wildcard, cidr, $or) is refused at parse time rather
// than silently mismatched.
package pattern

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Pattern is a parsed event pattern.
type Pattern struct {
	root node
}

// node is one level of the pattern: fields that hold either nested nodes or
// lists of matchers.
type node struct {
	fields map[string]*field
	order  []string
}

type field struct {
	nested   *node
	matchers []matcher
}

type matcher interface {
	// match is called with present=false and v=nil when the field is absent.
	match(present bool, v any) bool
}

// Parse parses a JSON event pattern.
func Parse(src []byte) (*Pattern, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("event pattern is not valid JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("event pattern has trailing data")
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("event pattern must be a JSON object")
	}
	if len(obj) == 0 {
		return nil, fmt.Errorf("event pattern must not be empty")
	}
	root, err := parseNode(obj, "")
	if err != nil {
		return nil, err
	}
	return &Pattern{root: *root}, nil
}

// MustParse is Parse for patterns written in code; it panics on a bad pattern.
func MustParse(src string) *Pattern {
	p, err := Parse([]byte(src))
	if err != nil {
		panic(err)
	}
	return p
}

func parseNode(obj map[string]any, path string) (*node, error) {
	n := &node{fields: map[string]*field{}}
	for k, v := range obj {
		at := strings.TrimPrefix(path+"."+k, ".")
		switch val := v.(type) {
		case map[string]any:
			if len(val) == 0 {
				return nil, fmt.Errorf("%s: nested pattern must not be empty", at)
			}
			child, err := parseNode(val, at)
			if err != nil {
				return nil, err
			}
			n.fields[k] = &field{nested: child}
		case []any:
			if len(val) == 0 {
				return nil, fmt.Errorf("%s: match list must not be empty", at)
			}
			f := &field{}
			for _, m := range val {
				mm, err := parseMatcher(m, at)
				if err != nil {
					return nil, err
				}
				f.matchers = append(f.matchers, mm)
			}
			n.fields[k] = f
		default:
			return nil, fmt.Errorf("%s: pattern values must be arrays or objects, got %s", at, describe(v))
		}
		n.order = append(n.order, k)
	}
	sort.Strings(n.order)
	return n, nil
}

func parseMatcher(m any, at string) (matcher, error) {
	switch v := m.(type) {
	case string, bool, nil:
		return exact{v}, nil
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return nil, fmt.Errorf("%s: bad number %s", at, v)
		}
		return exactNumber(f), nil
	case map[string]any:
		if len(v) != 1 {
			return nil, fmt.Errorf("%s: a content filter has exactly one key, got %d", at, len(v))
		}
		for op, arg := range v {
			return parseFilter(op, arg, at)
		}
	}
	return nil, fmt.Errorf("%s: unsupported match value %s", at, describe(m))
}

func parseFilter(op string, arg any, at string) (matcher, error) {
	switch op {
	case "prefix", "suffix", "equals-ignore-case":
		s, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("%s: %q takes a string", at, op)
		}
		return stringFilter{op: op, arg: s}, nil
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return nil, fmt.Errorf("%s: \"exists\" takes true or false", at)
		}
		return exists(b), nil
	case "numeric":
		return parseNumeric(arg, at)
	case "anything-but":
		return parseAnythingBut(arg, at)
	}
	return nil, fmt.Errorf("%s: unsupported content filter %q", at, op)
}

func parseAnythingBut(arg any, at string) (matcher, error) {
	switch v := arg.(type) {
	case string, bool, json.Number:
		m, err := parseMatcher(v, at)
		if err != nil {
			return nil, err
		}
		return anythingBut{m}, nil
	case []any:
		if len(v) == 0 {
			return nil, fmt.Errorf("%s: \"anything-but\" list must not be empty", at)
		}
		var ms []matcher
		for _, e := range v {
			switch e.(type) {
			case string, json.Number:
			default:
				return nil, fmt.Errorf("%s: \"anything-but\" lists hold strings or numbers", at)
			}
			m, err := parseMatcher(e, at)
			if err != nil {
				return nil, err
			}
			ms = append(ms, m)
		}
		return anythingBut(ms), nil
	case map[string]any:
		if len(v) != 1 {
			return nil, fmt.Errorf("%s: \"anything-but\" takes one filter", at)
		}
		if p, ok := v["prefix"].(string); ok {
			return anythingBut{stringFilter{op: "prefix", arg: p}}, nil
		}
		if p, ok := v["suffix"].(string); ok {
			return anythingBut{stringFilter{op: "suffix", arg: p}}, nil
		}
		return nil, fmt.Errorf("%s: \"anything-but\" supports a value, a list, prefix or suffix", at)
	}
	return nil, fmt.Errorf("%s: bad \"anything-but\" argument %s", at, describe(arg))
}

func parseNumeric(arg any, at string) (matcher, error) {
	list, ok := arg.([]any)
	if !ok || len(list) == 0 || len(list)%2 != 0 || len(list) > 4 {
		return nil, fmt.Errorf("%s: \"numeric\" takes one or two operator/value pairs", at)
	}
	var n numeric
	for i := 0; i < len(list); i += 2 {
		op, ok := list[i].(string)
		if !ok {
			return nil, fmt.Errorf("%s: numeric operator must be a string", at)
		}
		num, ok := list[i+1].(json.Number)
		if !ok {
			return nil, fmt.Errorf("%s: numeric operand must be a number", at)
		}
		f, err := num.Float64()
		if err != nil {
			return nil, fmt.Errorf("%s: bad number %s", at, num)
		}
		switch op {
		case "=", "<", "<=", ">", ">=":
		default:
			return nil, fmt.Errorf("%s: unknown numeric operator %q", at, op)
		}
		if op == "=" && len(list) > 2 {
			return nil, fmt.Errorf("%s: \"=\" cannot be combined with a range", at)
		}
		n = append(n, cmp{op, f})
	}
	if len(n) == 2 {
		lower := n[0].op == ">" || n[0].op == ">="
		upper := n[1].op == "<" || n[1].op == "<="
		if !lower || !upper {
			return nil, fmt.Errorf("%s: a numeric range is a lower bound then an upper bound", at)
		}
	}
	return n, nil
}

// Match reports whether the JSON event matches the pattern.
func (p *Pattern) Match(event []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return false
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return false
	}
	return p.root.match(obj)
}

// Values returns the exact string values the pattern accepts at a top-level
// field such as "source" or "detail-type", so callers can check them against a
// catalogue.
func (p *Pattern) Values(name string) []string {
	f, ok := p.root.fields[name]
	if !ok || f.nested != nil {
		return nil
	}
	var out []string
	for _, m := range f.matchers {
		if e, ok := m.(exact); ok {
			if s, ok := e.v.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func (n *node) match(obj map[string]any) bool {
	for _, k := range n.order {
		f := n.fields[k]
		v, present := obj[k]
		if f.nested != nil {
			child, ok := v.(map[string]any)
			if !ok || !f.nested.match(child) {
				return false
			}
			continue
		}
		if !f.matchAny(present, v) {
			return false
		}
	}
	return true
}

func (f *field) matchAny(present bool, v any) bool {
	values := []any{v}
	if arr, ok := v.([]any); ok {
		values = arr
		if len(arr) == 0 {
			present = false
			values = []any{nil}
		}
	}
	for _, m := range f.matchers {
		for _, val := range values {
			if m.match(present, val) {
				return true
			}
		}
	}
	return false
}

type exact struct{ v any }

func (e exact) match(present bool, v any) bool {
	if !present {
		return false
	}
	if e.v == nil {
		return v == nil
	}
	return v == e.v
}

type exactNumber float64

func (e exactNumber) match(present bool, v any) bool {
	f, ok := number(present, v)
	return ok && f == float64(e)
}

type stringFilter struct{ op, arg string }

func (s stringFilter) match(present bool, v any) bool {
	str, ok := v.(string)
	if !present || !ok {
		return false
	}
	switch s.op {
	case "prefix":
		return strings.HasPrefix(str, s.arg)
	case "suffix":
		return strings.HasSuffix(str, s.arg)
	default:
		return strings.EqualFold(str, s.arg)
	}
}

type exists bool

func (e exists) match(present bool, v any) bool {
	isThere := present && v != nil
	if _, isObj := v.(map[string]any); isObj {
		// EventBridge's exists applies to leaf values only.
		isThere = false
	}
	return isThere == bool(e)
}

type anythingBut []matcher

func (a anythingBut) match(present bool, v any) bool {
	if !present {
		return false
	}
	for _, m := range a {
		if m.match(present, v) {
			return false
		}
	}
	return true
}

type cmp struct {
	op string
	n  float64
}

type numeric []cmp

func (n numeric) match(present bool, v any) bool {
	f, ok := number(present, v)
	if !ok {
		return false
	}
	for _, c := range n {
		var good bool
		switch c.op {
		case "=":
			good = f == c.n
		case "<":
			good = f < c.n
		case "<=":
			good = f <= c.n
		case ">":
			good = f > c.n
		case ">=":
			good = f >= c.n
		}
		if !good {
			return false
		}
	}
	return true
}

func number(present bool, v any) (float64, bool) {
	if !present {
		return 0, false
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

func describe(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
