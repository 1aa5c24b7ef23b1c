// Package form builds HTML forms and lists from a domain struct's field
// metadata, so the admin console has no hand-written form per entity. A
// field is described by its tags:
//
//	json:"url"        the field's name (in forms, in the API, in errors)
//	label:"Feed URL"  its label; a field without one is not in forms
//	input:"url"       the input type (text by default; number, url, checkbox)
//	required:"true"   or "create": required only when creating
//	min, max, step, pattern, maxlength, help   as in HTML
//	list:"Name"       a column in lists, with this heading
//
// Decoding a form into the struct reports type errors per field; the domain's
// own validation stays the authority (its errors are matched to fields by
// their first word, the field's name).
package form

import (
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Field is one form input.
type Field struct {
	Name, Label, Type, Help, Value, Error string
	Required                              bool
	Min, Max, Step, Pattern, MaxLength    string
	Checked, ReadOnly                     bool
}

func name(f reflect.StructField) string {
	n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if n == "" || n == "-" {
		return strings.ToLower(f.Name)
	}
	return n
}

func fields(t reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			out = append(out, fields(f.Type)...)
			continue
		}
		if f.IsExported() {
			out = append(out, f)
		}
	}
	return out
}

// Fields describes v's (a struct or pointer to one) form inputs with its
// current values and the given errors (field name → message). creating
// says whether the form creates (required:"create" fields are editable and
// required) or edits (they are read-only).
func Fields(v any, errs map[string]string, creating bool) []Field {
	rv := reflect.Indirect(reflect.ValueOf(v))
	var out []Field
	for _, sf := range fields(rv.Type()) {
		label := sf.Tag.Get("label")
		if label == "" {
			continue
		}
		f := Field{Name: name(sf), Label: label, Type: sf.Tag.Get("input"), Help: sf.Tag.Get("help"),
			Min: sf.Tag.Get("min"), Max: sf.Tag.Get("max"), Step: sf.Tag.Get("step"), Pattern: sf.Tag.Get("pattern"),
			MaxLength: sf.Tag.Get("maxlength")}
		switch sf.Tag.Get("required") {
		case "true":
			f.Required = true
		case "create":
			f.Required, f.ReadOnly = creating, !creating
		}
		if f.Type == "" {
			f.Type = "text"
		}
		val := rv.FieldByIndex(sf.Index)
		if val.Kind() == reflect.Pointer {
			if val.IsNil() {
				val = reflect.Value{}
			} else {
				val = val.Elem()
			}
		}
		if val.IsValid() {
			if val.Kind() == reflect.Bool {
				f.Checked = val.Bool()
			} else {
				f.Value = fmt.Sprint(val.Interface())
			}
		}
		f.Error = errs[f.Name]
		out = append(out, f)
	}
	return out
}

// Decode fills v (a pointer to a struct) from form values, by field name,
// for the fields that have a label (names match exactly; a field given twice
// is an error). It returns the type errors per field.
func Decode(values url.Values, v any) map[string]string {
	rv := reflect.ValueOf(v).Elem()
	errs := map[string]string{}
	for _, sf := range fields(rv.Type()) {
		if sf.Tag.Get("label") == "" {
			continue
		}
		n := name(sf)
		if len(values[n]) > 1 {
			// As httpapi.Decode refuses a JSON key given twice: which one
			// was meant is not ours to guess.
			errs[n] = sf.Tag.Get("label") + " is given more than once"
			continue
		}
		raw := strings.TrimSpace(values.Get(n))
		dst := rv.FieldByIndex(sf.Index)
		t := dst.Type()
		ptr := t.Kind() == reflect.Pointer
		if ptr {
			t = t.Elem()
		}
		if raw == "" && t.Kind() != reflect.Bool {
			continue // left empty: the domain decides whether that is allowed
		}
		val := reflect.New(t).Elem()
		switch t.Kind() {
		case reflect.String:
			val.SetString(raw)
		case reflect.Float64:
			x, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				errs[n] = sf.Tag.Get("label") + " must be a number"
				continue
			}
			val.SetFloat(x)
		case reflect.Int, reflect.Int64:
			x, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				errs[n] = sf.Tag.Get("label") + " must be a whole number"
				continue
			}
			val.SetInt(x)
		case reflect.Bool:
			val.SetBool(raw == "on" || raw == "true")
		default:
			continue
		}
		if ptr {
			p := reflect.New(t)
			p.Elem().Set(val)
			dst.Set(p)
		} else {
			dst.Set(val)
		}
	}
	return errs
}

// Errors matches a domain's validation problems ("url must be …") to the
// form's field names; what matches no field goes under "".
func Errors(v any, problems []string) map[string]string {
	names := map[string]bool{}
	for _, sf := range fields(reflect.Indirect(reflect.ValueOf(v)).Type()) {
		names[name(sf)] = true
	}
	errs := map[string]string{}
	for _, p := range problems {
		first, _, _ := strings.Cut(p, " ")
		key := ""
		if names[first] {
			key = first
		}
		if errs[key] != "" {
			errs[key] += "; "
		}
		errs[key] += p
	}
	return errs
}

// Column is a list column.
type Column struct{ Name, Heading string }

// Columns lists the list columns of the struct type of v.
func Columns(v any) []Column {
	var out []Column
	for _, sf := range fields(reflect.Indirect(reflect.ValueOf(v)).Type()) {
		if h := sf.Tag.Get("list"); h != "" {
			out = append(out, Column{Name: name(sf), Heading: h})
		}
	}
	return out
}

// Row renders v's list cells, in Columns order.
func Row(v any) []string {
	rv := reflect.Indirect(reflect.ValueOf(v))
	var out []string
	for _, sf := range fields(rv.Type()) {
		if sf.Tag.Get("list") == "" {
			continue
		}
		out = append(out, cell(rv.FieldByIndex(sf.Index)))
	}
	return out
}

func cell(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	switch x := v.Interface().(type) {
	case time.Time:
		if x.IsZero() {
			return "—"
		}
		return x.UTC().Format("2006-01-02 15:04")
	case bool:
		if x {
			return "yes"
		}
		return ""
	case float64:
		return strconv.FormatFloat(x, 'g', 4, 64)
	}
	return fmt.Sprint(v.Interface())
}
