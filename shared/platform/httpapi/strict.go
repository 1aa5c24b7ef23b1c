package httpapi

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// strictCheck walks a body encoding/json has already accepted (one valid
// JSON value) against the type it was decoded into, and refuses what
// encoding/json v1 lets through but the spec does not: an object key that
// matches a field's json name only when case is ignored ("Events",
// "CATEGORIES"), a key given twice in one object (v1 keeps the last), and a
// JSON null for a field (the spec declares no request field nullable; v1
// leaves the field as it was). It goes through nested structs, slices and
// maps (a map's keys are the client's: kept as sent, duplicates refused).
// Values of types with their own UnmarshalJSON are checked for duplicate
// keys only.
func strictCheck(body []byte, t reflect.Type) error {
	s := scanner{b: body}
	s.ws()
	return s.value(resolved(t))
}

type scanner struct {
	b []byte
	i int
	// fixTimes: upper-case the t and z of time values (RFC 3339 allows
	// lower-case; time.Time's UnmarshalJSON does not) and check each.
	fixTimes bool
	// path is where the scanner is, rendered only for an error message.
	path []segment
}

// segment is an object key or an array index.
type segment struct {
	key   []byte
	index int
}

func (s *scanner) at() string {
	var b strings.Builder
	for _, p := range s.path {
		switch {
		case p.key == nil:
			b.WriteString("[" + strconv.Itoa(p.index) + "]")
		case b.Len() > 0:
			b.WriteString("." + string(p.key))
		default:
			b.Write(p.key)
		}
	}
	return b.String()
}

func (s *scanner) refuse(format string) error {
	return kiosk.Errorf(kiosk.EINVALID, format, s.at())
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

// structFields maps a struct type's json names to their field types and an
// index (for the duplicate check), flattening embedded structs as
// encoding/json does.
type structFields struct {
	byName map[string]int
	types  []reflect.Type
}

var fieldCache sync.Map // reflect.Type → *structFields

func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f := &structFields{byName: map[string]int{}}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			ft := sf.Type
			if sf.Anonymous && name == "" {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					add(ft)
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			if _, dup := f.byName[name]; !dup {
				f.byName[name] = len(f.types)
				f.types = append(f.types, resolved(ft))
			}
		}
	}
	add(t)
	fieldCache.Store(t, f)
	return f
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// opaque stands for a type with its own UnmarshalJSON: its value is checked
// for duplicate keys only, and may not be null.
type opaque struct{}

var opaqueType = reflect.TypeFor[opaque]()

var timeType = reflect.TypeFor[time.Time]()

// fixTimes rewrites, in place, the lower-case "t" and "z" RFC 3339 allows in
// the values body holds for time.Time fields of t, and refuses one that is
// no RFC 3339 time, naming it. body must be one valid JSON value.
func fixTimes(body []byte, t reflect.Type) error {
	s := scanner{b: body, fixTimes: true}
	s.ws()
	return s.value(resolved(t))
}

// resolved is what the walk needs of a Go type: pointers followed, nil for
// any (anything goes), opaque for a type that decodes itself.
func resolved(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == nil || t.Kind() == reflect.Interface:
		return nil
	case t == timeType:
		return timeType
	case reflect.PointerTo(t).Implements(unmarshaler):
		return opaqueType
	}
	return t
}

// value checks the value at s.i against t, a resolved type (nil: any JSON
// is fine, only duplicate keys are refused).
func (s *scanner) value(t reflect.Type) error {
	if s.b[s.i] == 'n' {
		s.i += 4
		switch {
		case t != nil && len(s.path) == 0:
			return kiosk.Errorf(kiosk.EINVALID, "the body must be a JSON object, not null")
		case t != nil:
			return s.refuse("field %q must not be null")
		}
		return nil
	}
	if t == timeType && s.b[s.i] == '"' && s.fixTimes {
		raw, _ := s.str()
		for i, c := range raw {
			switch c {
			case 't':
				raw[i] = 'T'
			case 'z':
				raw[i] = 'Z'
			}
		}
		if _, err := time.Parse(time.RFC3339, string(raw)); err != nil {
			return s.refuse("field %q must be an RFC 3339 time, like 2026-12-01T10:00:00Z")
		}
		return nil
	}
	if t == opaqueType || t == timeType {
		t = nil
	}
	switch s.b[s.i] {
	case '{':
		return s.object(t)
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = resolved(t.Elem())
		}
		s.i++
		s.ws()
		if s.b[s.i] == ']' {
			s.i++
			return nil
		}
		s.path = append(s.path, segment{})
		for n := 0; ; n++ {
			s.path[len(s.path)-1].index = n
			if err := s.value(elem); err != nil {
				return err
			}
			s.ws()
			c := s.b[s.i]
			s.i++
			if c == ']' {
				s.path = s.path[:len(s.path)-1]
				return nil
			}
			s.ws()
		}
	case '"':
		s.str()
		return nil
	default: // number, true, false
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return nil
			}
			s.i++
		}
		return nil
	}
}

func (s *scanner) object(t reflect.Type) error {
	var fields *structFields
	var elem reflect.Type
	switch {
	case t == nil:
	case t.Kind() == reflect.Struct:
		fields = fieldsOf(t)
	case t.Kind() == reflect.Map:
		elem = resolved(t.Elem())
	}
	var seenMask uint64      // struct of up to 64 fields: by field index
	var seenFields []bool    // a larger struct
	var seen map[string]bool // map or untyped: by key
	s.i++
	s.ws()
	if s.b[s.i] == '}' {
		s.i++
		return nil
	}
	s.path = append(s.path, segment{})
	for {
		key := s.key()
		s.path[len(s.path)-1].key = key
		s.ws()
		s.i++ // ':'
		s.ws()
		var vt reflect.Type
		if fields != nil {
			n, ok := fields.byName[string(key)]
			if !ok {
				return s.refuse("unknown field %q (field names are case-sensitive)")
			}
			if n < 64 {
				if seenMask&(1<<n) != 0 {
					return s.refuse("duplicate key %q")
				}
				seenMask |= 1 << n
			} else {
				if seenFields == nil {
					seenFields = make([]bool, len(fields.types))
				}
				if seenFields[n] {
					return s.refuse("duplicate key %q")
				}
				seenFields[n] = true
			}
			vt = fields.types[n]
		} else {
			if seen == nil {
				seen = map[string]bool{}
			}
			if seen[string(key)] {
				return s.refuse("duplicate key %q")
			}
			seen[string(key)] = true
			vt = elem
		}
		if err := s.value(vt); err != nil {
			return err
		}
		s.ws()
		c := s.b[s.i]
		s.i++
		if c == '}' {
			s.path = s.path[:len(s.path)-1]
			return nil
		}
		s.ws()
	}
}

// str skips a string, returning its raw bytes without the quotes and whether
// it holds an escape.
func (s *scanner) str() (raw []byte, escaped bool) {
	s.i++
	start := s.i
	for {
		switch s.b[s.i] {
		case '\\':
			escaped = true
			s.i += 2
		case '"':
			raw = s.b[start:s.i]
			s.i++
			return raw, escaped
		default:
			s.i++
		}
	}
}

// key reads an object key as the client meant it (escapes decoded).
func (s *scanner) key() []byte {
	start := s.i
	raw, escaped := s.str()
	if !escaped {
		return raw
	}
	var k string
	_ = json.Unmarshal(s.b[start:s.i], &k)
	return []byte(k)
}
