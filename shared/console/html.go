package console

import (
	"html"
	"net/url"
	"strings"

	"github.com/kiosk-news/kiosk/shared/platform/form"
)

// The console writes HTML with this small builder rather than html/template:
// text/template's reflective method calls keep every exported method of
// every linked type alive, which made each console function 5 MiB larger
// (14.7 MiB against the 10 MiB budget, measured). Text and attribute values
// are always escaped; only Raw (the server-drawn SVG) is not, and URL
// attributes accept only relative and http(s) URLs.

// Node is a piece of HTML.
type Node interface{ write(b *strings.Builder) }

// Nodes is a sequence of nodes.
type Nodes []Node

func (ns Nodes) write(b *strings.Builder) {
	for _, n := range ns {
		if n != nil {
			n.write(b)
		}
	}
}

type text string

func (t text) write(b *strings.Builder) { b.WriteString(html.EscapeString(string(t))) }

// T is escaped text.
func T(s string) Node { return text(s) }

// Raw is trusted markup (the charts, whose every text is escaped).
type Raw string

func (r Raw) write(b *strings.Builder) { b.WriteString(string(r)) }

// Attr is one attribute; a boolean attribute has no value.
type Attr struct {
	Name, Value string
	Bool        bool
}

// A is an attribute with a value.
func A(name, value string) Attr { return Attr{Name: name, Value: value} }

// B is a boolean attribute, present when on.
func B(name string, on bool) Attr {
	if !on {
		return Attr{}
	}
	return Attr{Name: name, Bool: true}
}

// Href is a link attribute that refuses anything but relative and http(s)
// URLs (an article's URL comes from a feed).
func Href(name, u string) Attr {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "" && p.Scheme != "http" && p.Scheme != "https") {
		u = "#unsafe-url"
	}
	return Attr{Name: name, Value: u}
}

type element struct {
	tag   string
	attrs []Attr
	kids  Nodes
	void  bool
}

var voids = map[string]bool{"input": true, "meta": true, "link": true, "br": true}

func (e element) write(b *strings.Builder) {
	b.WriteString("<" + e.tag)
	for _, a := range e.attrs {
		switch {
		case a.Name == "":
		case a.Bool:
			b.WriteString(" " + a.Name)
		default:
			b.WriteString(" " + a.Name + `="` + html.EscapeString(a.Value) + `"`)
		}
	}
	b.WriteString(">")
	if e.void {
		return
	}
	e.kids.write(b)
	b.WriteString("</" + e.tag + ">")
}

// E is an element with attributes and children.
func E(tag string, attrs []Attr, kids ...Node) Node {
	return element{tag: tag, attrs: attrs, kids: kids, void: voids[tag]}
}

// At lists attributes (sugar for E).
func At(attrs ...Attr) []Attr { return attrs }

// Render writes nodes to a string.
func Render(n Node) string {
	var b strings.Builder
	n.write(&b)
	return b.String()
}

// Hidden is a hidden form input.
func Hidden(name, value string) Node {
	return E("input", At(A("type", "hidden"), A("name", name), A("value", value)))
}

// PostForm is a form that posts to action with the CSRF token.
func PostForm(action, csrf string, attrs []Attr, kids ...Node) Node {
	return E("form", append(At(A("method", "post"), A("action", action)), attrs...), append(Nodes{Hidden("csrf", csrf)}, kids...)...)
}

// Table is a table with a header row and body rows; empty shows in one
// cell spanning the table when there are no rows.
func Table(class string, headings []string, rows []Node, empty string) Node {
	var head Nodes
	for _, h := range headings {
		head = append(head, E("th", nil, T(h)))
	}
	body := Nodes(rows)
	if len(rows) == 0 {
		body = Nodes{E("tr", nil, E("td", At(A("colspan", itoa(len(headings)))), T(empty)))}
	}
	return E("div", At(A("class", "scroll")), E("table", At(A("class", class)),
		E("thead", nil, E("tr", nil, head...)), E("tbody", nil, body...)))
}

// Row is a table row of text cells plus extra cells.
func Row(attrs []Attr, cells []string, extra ...Node) Node {
	var tds Nodes
	for _, c := range cells {
		tds = append(tds, E("td", nil, T(c)))
	}
	return E("tr", attrs, append(tds, extra...)...)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}

// Fields renders a generated form's inputs, each with its label, its error
// next to it and its help.
func Fields(fields []form.Field) Node {
	var out Nodes
	for _, f := range fields {
		class := "field"
		if f.Error != "" {
			class += " invalid"
		}
		label := Nodes{T(f.Label)}
		if f.Required {
			label = append(label, T(" "), E("span", At(A("aria-hidden", "true")), T("*")))
		}
		attrs := At(A("type", f.Type), A("id", "f-"+f.Name), A("name", f.Name))
		if f.Type == "checkbox" {
			attrs = append(attrs, B("checked", f.Checked))
		} else {
			attrs = append(attrs, A("value", f.Value), B("required", f.Required), B("readonly", f.ReadOnly))
			for _, a := range [][2]string{{"min", f.Min}, {"max", f.Max}, {"step", f.Step}, {"pattern", f.Pattern}, {"maxlength", f.MaxLength}} {
				if a[1] != "" {
					attrs = append(attrs, A(a[0], a[1]))
				}
			}
		}
		var errNode, help Node
		if f.Error != "" {
			attrs = append(attrs, A("aria-invalid", "true"), A("aria-describedby", "e-"+f.Name))
			errNode = E("span", At(A("class", "field-error"), A("id", "e-"+f.Name)), T(f.Error))
		}
		if f.Help != "" {
			help = E("small", nil, T(f.Help))
		}
		out = append(out, E("div", At(A("class", class)),
			E("label", At(A("for", "f-"+f.Name)), label...), E("input", attrs), errNode, help))
	}
	return out
}
