// Package pattern parses and matches Amazon EventBridge event patterns, so the
// topology can reject a broken pattern before deploy and the local cloud can route
// bus events with the same rules EventBridge applies.
//
// It implements the whole content-filter language as event-ruler (the matcher
// EventBridge runs) reads it: exact values (string, number, true, false, null,
// {"exactly": …}), "prefix" and "suffix" (also with "equals-ignore-case"),
// "equals-ignore-case", "wildcard", "anything-but" (a value, a list of strings or
// of numbers, or prefix, suffix, wildcard and equals-ignore-case, each alone or
// as a list), "numeric" (one comparison or a range), "exists", "cidr" (IPv4 and
// IPv6) and "$or". Patterns and events are both read as flat paths ("a.b"), so a
// dotted key means the same as nesting; a pattern's nested fields meet arrays of
// objects element by element, and all fields of one match must come from the
// same element of any array they share (event-ruler's array consistency).
// Invalid patterns are refused with event-ruler's reasons.
//
// Numbers compare as finite doubles, as event-ruler does at the commit whose
// answers the conformance check reads (1E-320 is accepted, 1E309 and 1E-325
// are not); the EventBridge user guide still speaks of -5e9..5e9 with six
// decimals, so a pattern that relies on numbers outside that may behave
// differently in AWS.
package pattern

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// maxAlternatives bounds how many conjunctions "$or" may expand to.
const maxAlternatives = 1024

// Pattern is a parsed event pattern: a disjunction of conjunctions of fields.
type Pattern struct {
	alts [][]*field
}

// field is one flattened path of the pattern with its matchers; any of them
// may match one value at that path.
type field struct {
	path     string
	matchers []matcher
	absent   bool // one of the matchers is {"exists": false}
}

// matcher tests one leaf value of the event: a string, a json.Number, a bool or nil.
type matcher interface {
	match(v any) bool
}

// Parse parses a JSON event pattern and checks it with EventBridge's rules.
func Parse(src []byte) (*Pattern, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("event pattern is not valid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("event pattern has trailing data")
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Filter is not an object")
	}
	if len(obj) == 0 {
		return nil, fmt.Errorf("event pattern must not be empty")
	}
	alts, err := parseObject(obj, "")
	if err != nil {
		return nil, err
	}
	return &Pattern{alts: alts}, nil
}

// MustParse is Parse for patterns written in code; it panics on a bad pattern.
func MustParse(src string) *Pattern {
	p, err := Parse([]byte(src))
	if err != nil {
		panic(err)
	}
	return p
}

// parseObject turns one object of the pattern into its alternatives.
func parseObject(obj map[string]any, prefix string) ([][]*field, error) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	alts := [][]*field{nil}
	for _, k := range keys {
		v := obj[k]
		at := prefix + k
		var next [][]*field
		switch val := v.(type) {
		case []any:
			if k == "$or" && isOr(val) {
				for _, e := range val {
					sub, err := parseObject(e.(map[string]any), prefix)
					if err != nil {
						return nil, err
					}
					next = append(next, sub...)
					if len(next) > maxAlternatives {
						return nil, fmt.Errorf("%s: \"$or\" expands to more than %d alternatives", at, maxAlternatives)
					}
				}
				break
			}
			if len(val) == 0 {
				return nil, fmt.Errorf("%s: match list must not be empty", at)
			}
			f := &field{path: at}
			for _, m := range val {
				mm, err := parseMatcher(m)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", at, err)
				}
				if e, ok := mm.(exists); ok && !bool(e) {
					f.absent = true
				}
				f.matchers = append(f.matchers, mm)
			}
			next = [][]*field{{f}}
		case map[string]any:
			if len(val) == 0 {
				return nil, fmt.Errorf("%s: nested pattern must not be empty", at)
			}
			sub, err := parseObject(val, at+".")
			if err != nil {
				return nil, err
			}
			next = sub
		default:
			return nil, fmt.Errorf("%s: pattern values must be arrays or objects, got %s", at, describe(v))
		}
		if len(alts)*len(next) > maxAlternatives {
			return nil, fmt.Errorf("%s: \"$or\" expands to more than %d alternatives", at, maxAlternatives)
		}
		var joined [][]*field
		for _, a := range alts {
			for _, n := range next {
				joined = append(joined, append(append([]*field(nil), a...), n...))
			}
		}
		alts = joined
	}
	for i, alt := range alts {
		alts[i] = merge(alt)
	}
	return alts, nil
}

// merge joins fields of one conjunction that name the same path ("a.b" and
// {"a":{"b":…}}, or a field repeated inside "$or"): as in event-ruler, any of
// their matchers may match.
func merge(alt []*field) []*field {
	var out []*field
	byPath := map[string]*field{}
	for _, f := range alt {
		if g, ok := byPath[f.path]; ok {
			g.matchers = append(g.matchers, f.matchers...)
			g.absent = g.absent || f.absent
			continue
		}
		g := &field{path: f.path, matchers: append([]matcher(nil), f.matchers...), absent: f.absent}
		byPath[f.path] = g
		out = append(out, g)
	}
	return out
}

// isOr tells an "$or" of sub-patterns (two or more objects of fields) from a
// field that happens to be named "$or", as event-ruler does.
func isOr(list []any) bool {
	if len(list) < 2 {
		return false
	}
	for _, e := range list {
		obj, ok := e.(map[string]any)
		if !ok || len(obj) == 0 {
			return false
		}
		for k := range obj {
			if operators[k] {
				return false
			}
		}
	}
	return true
}

var operators = map[string]bool{
	"exactly": true, "prefix": true, "suffix": true, "equals-ignore-case": true, "wildcard": true,
	"anything-but": true, "numeric": true, "exists": true, "cidr": true,
}

func parseMatcher(m any) (matcher, error) {
	switch v := m.(type) {
	case string:
		return exactString(v), nil
	case bool:
		return exactLiteral{v}, nil
	case nil:
		return exactLiteral{nil}, nil
	case json.Number:
		return newExactNumber(v), nil
	case map[string]any:
		if len(v) != 1 {
			return nil, fmt.Errorf("Only one key allowed in match expression")
		}
		for op, arg := range v {
			return parseFilter(op, arg)
		}
	}
	return nil, fmt.Errorf("Match value must be String, number, true, false, or null")
}

func parseFilter(op string, arg any) (matcher, error) {
	switch op {
	case "exactly":
		s, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("exact match pattern must be a string")
		}
		return exactString(s), nil
	case "prefix", "suffix":
		switch a := arg.(type) {
		case string:
			return affix{suffix: op == "suffix", arg: a}, nil
		case map[string]any:
			if len(a) != 1 {
				return nil, fmt.Errorf("Only one key allowed in match expression")
			}
			s, ok := a["equals-ignore-case"]
			if !ok {
				for k := range a {
					return nil, fmt.Errorf("Unsupported %s pattern: %s", op, k)
				}
			}
			str, ok := s.(string)
			if !ok {
				return nil, fmt.Errorf("equals-ignore-case match pattern must be a string")
			}
			return affix{suffix: op == "suffix", fold: true, arg: strings.ToLower(str)}, nil
		}
		return nil, fmt.Errorf("%s match pattern must be a string", op)
	case "equals-ignore-case":
		s, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("equals-ignore-case match pattern must be a string")
		}
		return ignoreCase(strings.ToLower(s)), nil
	case "wildcard":
		s, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("wildcard match pattern must be a string")
		}
		return parseWildcard(s)
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return nil, fmt.Errorf("exists match pattern must be either true or false.")
		}
		return exists(b), nil
	case "numeric":
		return parseNumeric(arg)
	case "cidr":
		return parseCIDR(arg)
	case "anything-but":
		return parseAnythingBut(arg)
	}
	return nil, fmt.Errorf("Unrecognized match type %s", op)
}

func parseAnythingBut(arg any) (matcher, error) {
	switch v := arg.(type) {
	case string:
		return anythingBut{exactString(v)}, nil
	case json.Number:
		return anythingBut{newExactNumber(v)}, nil
	case []any:
		if len(v) == 0 {
			return nil, fmt.Errorf("Inside anything but list, the list must not be empty")
		}
		var out anythingBut
		var strs, nums bool
		for _, e := range v {
			switch x := e.(type) {
			case string:
				strs = true
				out = append(out, exactString(x))
			case json.Number:
				nums = true
				out = append(out, newExactNumber(x))
			default:
				return nil, fmt.Errorf("Inside anything but list, start|null|boolean is not supported.")
			}
		}
		if strs && nums {
			return nil, fmt.Errorf("Inside anything but list, either all values are number or string, mixed type is not supported")
		}
		return out, nil
	case map[string]any:
		if len(v) != 1 {
			return nil, fmt.Errorf("Only one key allowed in match expression")
		}
		for op, a := range v {
			return parseAnythingButFilter(op, a)
		}
	}
	return nil, fmt.Errorf("Value of anything-but must be an array or single string/number value.")
}

func parseAnythingButFilter(op string, arg any) (matcher, error) {
	var list []any
	switch a := arg.(type) {
	case []any:
		list = a
	default:
		list = []any{a}
	}
	var out anythingBut
	for _, e := range list {
		s, ok := e.(string)
		switch op {
		case "prefix", "suffix":
			if !ok || (s == "" && len(list) > 1) {
				return nil, fmt.Errorf("prefix/suffix match pattern must be a string")
			}
			if s == "" {
				return nil, fmt.Errorf("Null prefix/suffix not allowed")
			}
			out = append(out, affix{suffix: op == "suffix", arg: s})
		case "equals-ignore-case":
			if !ok {
				return nil, fmt.Errorf("Inside anything-but/ignore-case list, number|start|null|boolean is not supported.")
			}
			out = append(out, ignoreCase(strings.ToLower(s)))
		case "wildcard":
			if !ok {
				return nil, fmt.Errorf("Unsupported anything-but pattern: wildcard (values must be strings)")
			}
			w, err := parseWildcard(s)
			if err != nil {
				return nil, fmt.Errorf("Unsupported anything-but pattern: wildcard (%w)", err)
			}
			out = append(out, w)
		default:
			return nil, fmt.Errorf("Unsupported anything-but pattern: %s", op)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("Inside anything but list, the list must not be empty")
	}
	return anythingButString(out), nil
}

func parseNumeric(arg any) (matcher, error) {
	list, ok := arg.([]any)
	if !ok || len(list) == 0 {
		return nil, fmt.Errorf("Value of numeric must be an array.")
	}
	operand := func(i int, op string) (float64, error) {
		name := op
		if op == "=" {
			name = "equals"
		}
		if i >= len(list) {
			return 0, fmt.Errorf("Value of %s must be numeric", name)
		}
		n, ok := list[i].(json.Number)
		if !ok {
			return 0, fmt.Errorf("Value of %s must be numeric", name)
		}
		f, ok := comparable(n)
		if !ok {
			return 0, fmt.Errorf("Cannot compare number : %s", n)
		}
		return f, nil
	}
	op, _ := list[0].(string)
	r := numeric{lo: math.Inf(-1), hi: math.Inf(1)}
	switch op {
	case "=":
		f, err := operand(1, op)
		if err != nil {
			return nil, err
		}
		if len(list) > 2 {
			return nil, fmt.Errorf("Too many elements in numeric expression")
		}
		return numeric{lo: f, hi: f}, nil
	case "<", "<=":
		f, err := operand(1, op)
		if err != nil {
			return nil, err
		}
		if len(list) > 2 {
			return nil, fmt.Errorf("Too many elements in numeric expression")
		}
		r.hi, r.hiOpen = f, op == "<"
		return r, nil
	case ">", ">=":
		f, err := operand(1, op)
		if err != nil {
			return nil, err
		}
		r.lo, r.loOpen = f, op == ">"
		if len(list) == 2 {
			return r, nil
		}
		op2, _ := list[2].(string)
		if op2 != "<" && op2 != "<=" {
			return nil, fmt.Errorf("Bad value in numeric range: %s", describe(list[2]))
		}
		g, err := operand(3, op2)
		if err != nil {
			return nil, err
		}
		if len(list) > 4 {
			return nil, fmt.Errorf("Too many terms in numeric range expression")
		}
		if !(f < g) {
			return nil, fmt.Errorf("Bottom must be less than top")
		}
		r.hi, r.hiOpen = g, op2 == "<"
		return r, nil
	}
	return nil, fmt.Errorf("Unrecognized numeric range operator: %s", strings.Trim(describe(list[0]), `"`))
}

// comparable reads a JSON number as EventBridge compares it: a finite double,
// refusing numbers that overflow or underflow to zero.
func comparable(n json.Number) (float64, bool) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	if f == 0 && strings.ContainsAny(strings.SplitN(strings.ToLower(string(n)), "e", 2)[0], "123456789") {
		return 0, false
	}
	return f, true
}

func parseCIDR(arg any) (matcher, error) {
	s, ok := arg.(string)
	if !ok {
		return nil, fmt.Errorf("cidr match pattern must be a string")
	}
	if strings.Count(s, "/") != 1 {
		return nil, fmt.Errorf("Malformed CIDR, one '/' required")
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		ip, bits, _ := strings.Cut(s, "/")
		addr, aerr := netip.ParseAddr(ip)
		n, nerr := strconv.Atoi(bits)
		if aerr != nil || nerr != nil || n < 0 || n > addr.BitLen() {
			return nil, fmt.Errorf("Malformed CIDR %q", s)
		}
		p = netip.PrefixFrom(addr, n)
	}
	return cidr(p.Masked()), nil
}

// parseWildcard checks a wildcard pattern: "*" matches any run of characters,
// "\*" and "\\" are a literal star and backslash, and two stars may not touch.
func parseWildcard(s string) (matcher, error) {
	w := wildcard{}
	var lit strings.Builder
	star := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				if i+1 >= len(s) {
					return nil, fmt.Errorf("Wildcard pattern ends with an escape character at pos %d", i)
				}
				return nil, fmt.Errorf("Invalid escape character at pos %d", i)
			}
			i++
			lit.WriteByte(s[i])
			star = false
		case '*':
			if star {
				return nil, fmt.Errorf("Consecutive wildcard characters at pos %d", i)
			}
			w.parts = append(w.parts, lit.String())
			lit.Reset()
			star = true
		default:
			lit.WriteByte(c)
			star = false
		}
	}
	w.parts = append(w.parts, lit.String())
	return w, nil
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
	return p.MatchFlat(Flatten(obj))
}

// MatchFlat matches an event already flattened with Flatten, so one event can
// be tested against many patterns without decoding it again.
func (p *Pattern) MatchFlat(ev Event) bool {
	for _, alt := range p.alts {
		if matchAll(alt, ev) {
			return true
		}
	}
	return false
}

// Values returns the exact string values the pattern accepts at a top-level
// field such as "source" or "detail-type", so callers can check them against a
// catalogue.
func (p *Pattern) Values(name string) []string {
	var out []string
	for _, alt := range p.alts {
		for _, f := range alt {
			if f.path != name {
				continue
			}
			for _, m := range f.matchers {
				if s, ok := m.(exactString); ok && !containsString(out, string(s)) {
					out = append(out, string(s))
				}
			}
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Event is a decoded event as flat paths to leaf values.
type Event map[string][]leaf

// leaf is one value of the event with the array elements it sits in.
type leaf struct {
	v      any
	arrays []position
}

type position struct{ array, index int }

// Flatten reads a decoded JSON object (numbers as json.Number) into flat paths:
// nested objects and dotted keys alike become "a.b"; every element of an array
// is a value of the array's path; empty arrays and objects hold no value.
func Flatten(obj map[string]any) Event {
	ev := Event{}
	arrays := 0
	var walk func(path string, v any, at []position)
	walk = func(path string, v any, at []position) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				p := k
				if path != "" {
					p = path + "." + k
				}
				walk(p, c, at)
			}
		case []any:
			arrays++
			id := arrays
			for i, c := range x {
				walk(path, c, append(at[:len(at):len(at)], position{id, i}))
			}
		default:
			ev[path] = append(ev[path], leaf{v: x, arrays: at})
		}
	}
	walk("", obj, nil)
	return ev
}

// option is a field of one conjunction and the event's values it matches.
type option struct {
	f     *field
	cands []leaf
}

// matchAll finds one value for every field, all from the same element of any
// array they share. A field that may be absent ({"exists": false}) is absent
// when no value at its path sits in the elements the other fields chose.
func matchAll(fields []*field, ev Event) bool {
	opts := make([]option, 0, len(fields))
	for _, f := range fields {
		vals := ev[f.path]
		if f.absent && len(vals) == 0 {
			continue // absent whatever else is chosen
		}
		var c []leaf
		for _, l := range vals {
			for _, m := range f.matchers {
				if m.match(l.v) {
					c = append(c, l)
					break
				}
			}
		}
		if len(c) == 0 && !f.absent {
			return false
		}
		opts = append(opts, option{f, c})
	}
	if len(opts) > 1 {
		narrow(opts, ev)
	}
	sort.SliceStable(opts, func(i, j int) bool { return len(opts[i].cands) < len(opts[j].cands) })
	chosen := map[int]int{}
	consistent := func(l leaf) bool {
		for _, p := range l.arrays {
			if idx, seen := chosen[p.array]; seen && idx != p.index {
				return false
			}
		}
		return true
	}
	var absent []string
	var try func(i int) bool
	try = func(i int) bool {
		if i == len(opts) {
			for _, path := range absent {
				for _, l := range ev[path] {
					if consistent(l) {
						return false
					}
				}
			}
			return true
		}
		for _, l := range opts[i].cands {
			if !consistent(l) {
				continue
			}
			var added []int
			for _, p := range l.arrays {
				if _, seen := chosen[p.array]; !seen {
					chosen[p.array] = p.index
					added = append(added, p.array)
				}
			}
			ok := try(i + 1)
			for _, a := range added {
				delete(chosen, a)
			}
			if ok {
				return true
			}
		}
		if opts[i].f.absent {
			absent = append(absent, opts[i].f.path)
			ok := try(i + 1)
			absent = absent[:len(absent)-1]
			return ok
		}
		return false
	}
	return try(0)
}

// narrow keeps, in every option's candidates, only the array positions that
// another option could conflict with, and then only one candidate per distinct
// set of positions: values that sit in arrays of their own field are
// interchangeable, so an event with n values for each of k fields is not
// searched n^k ways.
func narrow(opts []option, ev Event) {
	touched := map[int]int{} // array → how many options have a value in it
	for _, o := range opts {
		seen := map[int]bool{}
		var absent []leaf // values an absent field must not share an element with
		if o.f.absent {
			absent = ev[o.f.path]
		}
		for _, list := range [][]leaf{o.cands, absent} {
			for _, l := range list {
				for _, p := range l.arrays {
					if !seen[p.array] {
						seen[p.array] = true
						touched[p.array]++
					}
				}
			}
		}
	}
	var key []byte
	for i, o := range opts {
		cands := o.cands
		if len(cands) < 2 {
			continue
		}
		seen := map[string]bool{}
		out := cands[:0:0]
		for _, l := range cands {
			var shared []position
			key = key[:0]
			for _, p := range l.arrays {
				if touched[p.array] > 1 {
					shared = append(shared, p)
					key = strconv.AppendInt(key, int64(p.array), 10)
					key = append(key, ':')
					key = strconv.AppendInt(key, int64(p.index), 10)
					key = append(key, ',')
				}
			}
			if seen[string(key)] {
				continue
			}
			seen[string(key)] = true
			out = append(out, leaf{v: l.v, arrays: shared})
		}
		opts[i].cands = out
	}
}

type exactString string

func (e exactString) match(v any) bool {
	s, ok := v.(string)
	return ok && s == string(e)
}

// exactLiteral matches true, false or null.
type exactLiteral struct{ v any }

func (e exactLiteral) match(v any) bool {
	switch v.(type) {
	case bool, nil:
		return v == e.v
	}
	return false
}

// exactNumber matches a number by value when it is comparable, else by its text.
type exactNumber struct {
	text string
	f    float64
	ok   bool
}

func newExactNumber(n json.Number) exactNumber {
	f, ok := comparable(n)
	return exactNumber{text: string(n), f: f, ok: ok}
}

func (e exactNumber) match(v any) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	if string(n) == e.text {
		return true
	}
	f, ok := comparable(n)
	return ok && e.ok && f == e.f
}

type affix struct {
	suffix, fold bool
	arg          string
}

func (a affix) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	if a.fold {
		s = strings.ToLower(s)
	}
	if a.suffix {
		return strings.HasSuffix(s, a.arg)
	}
	return strings.HasPrefix(s, a.arg)
}

type ignoreCase string

func (i ignoreCase) match(v any) bool {
	s, ok := v.(string)
	return ok && strings.ToLower(s) == string(i)
}

type wildcard struct{ parts []string } // literal runs between stars

func (w wildcard) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	if len(w.parts) == 1 {
		return s == w.parts[0]
	}
	first, last := w.parts[0], w.parts[len(w.parts)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	for _, p := range w.parts[1 : len(w.parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}

type exists bool

func (e exists) match(any) bool { return bool(e) }

// anythingBut matches any value, of any type, that none of its values equals.
type anythingBut []matcher

func (a anythingBut) match(v any) bool {
	for _, m := range a {
		if m.match(v) {
			return false
		}
	}
	return true
}

// anythingButString matches strings that none of its string filters match.
type anythingButString []matcher

func (a anythingButString) match(v any) bool {
	if _, ok := v.(string); !ok {
		return false
	}
	return anythingBut(a).match(v)
}

type numeric struct {
	lo, hi         float64
	loOpen, hiOpen bool
}

func (n numeric) match(v any) bool {
	num, ok := v.(json.Number)
	if !ok {
		return false
	}
	f, ok := comparable(num)
	if !ok {
		return false
	}
	if f < n.lo || (n.loOpen && f == n.lo) || f > n.hi || (n.hiOpen && f == n.hi) {
		return false
	}
	return true
}

type cidr netip.Prefix

func (c cidr) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && netip.Prefix(c).Contains(a.Unmap())
}

func describe(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
