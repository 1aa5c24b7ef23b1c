package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/infra/topology"
)

// Sizes in px. Text is monospace so a line's width is its length times charW
// (DejaVu Sans Mono, Menlo and Consolas are all about 0.6 em wide).
const (
	fontSize = 12.0
	charW    = 7.3
	lineH    = 16.0
	pad      = 8.0
	margin   = 24.0
	colGap   = 180.0 // between columns: room for the edges
	boxGap   = 10.0
	headerH  = 120.0
)

// span is a piece of a line with a style class.
type span struct{ text, class string }

// row is one line of text in a box; the anchors are what edges start from it.
type row struct {
	spans  []span
	events []string // detail types an edge joins to this row
	table  string   // the table a grant edge joins to this row
	access topology.Access
	pub    bool // the events are published from here (else consumed)
}

func (r row) len() int {
	n := 0
	for _, s := range r.spans {
		n += len([]rune(s.text))
	}
	return n
}

// box is a function, event or table drawn as a rectangle with rows of text.
type box struct {
	x, y, w float64
	rows    []row // the first is the title
}

func (b *box) h() float64 { return float64(len(b.rows))*lineH + 2*pad }

// rowY is the vertical middle of row i.
func (b *box) rowY(i int) float64 { return b.y + pad + float64(i)*lineH + lineH/2 }

func (b *box) mid() float64 { return b.y + b.h()/2 }

// Render draws the cloud. It is deterministic: the same topology gives the same
// bytes.
func Render(c topology.Cloud) []byte {
	// The functions, by domain in order of first declaration.
	var domains []string
	byDomain := map[string][]topology.Function{}
	for _, f := range c.Functions {
		if _, ok := byDomain[f.Domain]; !ok {
			domains = append(domains, f.Domain)
		}
		byDomain[f.Domain] = append(byDomain[f.Domain], f)
	}
	fns := map[string]*box{}
	var fnOrder []string
	for _, d := range domains {
		for _, f := range byDomain[d] {
			fns[f.Name] = &box{rows: functionRows(c, f)}
			fnOrder = append(fnOrder, f.Name)
		}
	}
	var evs []*box
	evBox := map[string]*box{}
	for _, t := range events.Catalog {
		b := &box{rows: []row{{spans: []span{{t.DetailType, "title"}}}, {spans: []span{{t.Source, "muted"}}}}}
		evs = append(evs, b)
		evBox[t.DetailType] = b
	}
	var tbls []*box
	tblBox := map[string]*box{}
	for _, t := range c.Tables {
		b := &box{rows: tableRows(t)}
		tbls = append(tbls, b)
		tblBox[t.Name] = b
	}

	// Columns: events, functions (in domain groups), tables.
	evW := widest(evs)
	fnW := widest(mapped(fnOrder, fns))
	tblW := widest(tbls)
	evX := margin
	groupX := evX + evW + colGap
	fnX := groupX + pad*1.5
	groupW := fnW + pad*3
	tblX := groupX + groupW + colGap
	width := tblX + tblW + margin

	type group struct {
		name    string
		y, h    float64
		members []string
	}
	var groups []group
	y := headerH
	for _, d := range domains {
		g := group{name: d, y: y}
		y += lineH + pad*2
		for _, f := range byDomain[d] {
			b := fns[f.Name]
			b.x, b.y, b.w = fnX, y, fnW
			y += b.h() + boxGap
			g.members = append(g.members, f.Name)
		}
		g.h = y - g.y + pad - boxGap
		groups = append(groups, g)
		y = g.y + g.h + boxGap*2
	}
	bottom := y

	// Events and tables sit near the functions they join, in that order,
	// without overlapping.
	want := map[*box][]float64{}
	for _, name := range fnOrder {
		b := fns[name]
		for i, r := range b.rows {
			for _, dt := range r.events {
				want[evBox[dt]] = append(want[evBox[dt]], b.rowY(i))
			}
			if r.table != "" {
				want[tblBox[r.table]] = append(want[tblBox[r.table]], b.rowY(i))
			}
		}
	}
	bottom = max(bottom, place(evs, evX, evW, want), place(tbls, tblX, tblW, want))
	height := bottom + margin

	var s strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&s, format, args...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="%s">`+"\n",
		n(width), n(height), n(width), n(height), n(fontSize))
	s.WriteString(style)
	p(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	header(&s, c)

	p("<g class=\"groups\">\n")
	for _, g := range groups {
		p(`<rect class="group" x="%s" y="%s" width="%s" height="%s" rx="8"/>`+"\n", n(groupX), n(g.y), n(groupW), n(g.h))
		p(`<text class="group-title" x="%s" y="%s">%s</text>`+"\n", n(groupX+pad*1.5), n(g.y+pad+lineH*0.8), esc("domain "+g.name+" · shared/"+g.name))
	}
	p("</g>\n")

	// Edges under the boxes.
	p("<g class=\"edges\" fill=\"none\">\n")
	for _, name := range fnOrder {
		b := fns[name]
		for i, r := range b.rows {
			ry := b.rowY(i)
			for _, dt := range r.events {
				e := evBox[dt]
				ex, ey := e.x+e.w, e.mid()
				if r.pub {
					p(`<path class="pub" d="%s" marker-end="url(#arrow-pub)"><title>%s publishes %s</title></path>`+"\n", curve(b.x, ry, ex+2, ey), esc(name), esc(dt))
				} else {
					p(`<path class="sub" d="%s" marker-end="url(#arrow-sub)"><title>%s consumes %s</title></path>`+"\n", curve(ex, ey, b.x-2, ry), esc(name), esc(dt))
				}
			}
			if r.table != "" {
				t := tblBox[r.table]
				p(`<path class="%s" d="%s"><title>%s %s %s</title></path>`+"\n", r.access, curve(b.x+b.w, ry, t.x, t.mid()), esc(name), accessVerb(r.access), esc(r.table))
			}
		}
	}
	p("</g>\n")

	for _, col := range []struct {
		class string
		boxes []*box
	}{{"event", evs}, {"fn", mapped(fnOrder, fns)}, {"table", tbls}} {
		p("<g class=\"%ss\">\n", col.class)
		for _, b := range col.boxes {
			drawBox(&s, col.class, b)
		}
		p("</g>\n")
	}
	s.WriteString("</svg>\n")
	return []byte(s.String())
}

const style = `<defs>
<marker id="arrow-pub" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#2e7d32"/></marker>
<marker id="arrow-sub" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#d35400"/></marker>
</defs>
<style>
text { fill: #1d2630; white-space: pre; }
.title { font-weight: bold; }
.muted { fill: #68727d; }
.h1 { font-size: 18px; font-weight: bold; }
.group { fill: #f4f6f8; stroke: #c5ccd3; }
.group-title { font-weight: bold; fill: #44505c; }
.fn { fill: #ffffff; stroke: #44505c; }
.event { fill: #fff6e5; stroke: #d39b2a; }
.table { fill: #eef4fd; stroke: #4a78b5; }
.public { fill: #2e7d32; } .user { fill: #1f5fa8; } .admin { fill: #b3261e; } .console { fill: #7b3fa0; }
.pub { stroke: #2e7d32; stroke-width: 1.2; }
.sub { stroke: #d35400; stroke-width: 1.2; }
.read { stroke: #1f5fa8; stroke-width: 1.1; stroke-dasharray: 5 3; }
.write { stroke: #b3261e; stroke-width: 1.1; }
.readwrite { stroke: #7b3fa0; stroke-width: 1.6; }
.edges path { opacity: 0.75; }
</style>
`

func header(s *strings.Builder, c topology.Cloud) {
	fmt.Fprintf(s, `<text class="h1" x="%s" y="%s">%s</text>`+"\n", n(margin), n(margin+14), esc(fmt.Sprintf(
		"%s: %d functions, %d routes, %d bus events, %d tables", c.Name, len(c.Functions), len(c.Routes()), len(events.Catalog), len(c.Tables))))
	fmt.Fprintf(s, `<text class="muted" x="%s" y="%s">%s</text>`+"\n", n(margin), n(margin+34),
		esc("Generated from infra/topology/kiosk.go by make diagram; a test fails when it is stale. Hover a line for what it joins."))
	x, y := margin, margin+60
	legend := []struct{ class, label string }{
		{"pub", "publishes an event"}, {"sub", "a rule delivers the event"},
		{"read", "reads a table"}, {"write", "writes a table"}, {"readwrite", "reads and writes a table"},
	}
	for _, l := range legend {
		marker := ""
		switch l.class {
		case "pub":
			marker = ` marker-end="url(#arrow-pub)"`
		case "sub":
			marker = ` marker-end="url(#arrow-sub)"`
		}
		fmt.Fprintf(s, `<path class="%s" fill="none" d="M%s,%s H%s"%s/>`, l.class, n(x), n(y-4), n(x+34), marker)
		fmt.Fprintf(s, `<text x="%s" y="%s">%s</text>`+"\n", n(x+42), n(y), esc(l.label))
		x += 42 + float64(len(l.label))*charW + 28
	}
	fmt.Fprintf(s, `<text x="%s" y="%s"><tspan class="public">public</tspan>, <tspan class="user">user</tspan> (an app token), <tspan class="admin">admin</tspan> (the admin token), <tspan class="console">console</tspan> (an editor's session): who may call a route</text>`+"\n", n(margin), n(y+22))
}

func drawBox(s *strings.Builder, class string, b *box) {
	fmt.Fprintf(s, `<rect class="%s" x="%s" y="%s" width="%s" height="%s" rx="4"/>`+"\n", class, n(b.x), n(b.y), n(b.w), n(b.h()))
	for i, r := range b.rows {
		fmt.Fprintf(s, `<text x="%s" y="%s">`, n(b.x+pad), n(b.rowY(i)+fontSize*0.35))
		for _, sp := range r.spans {
			if sp.class == "" {
				s.WriteString(esc(sp.text))
			} else {
				fmt.Fprintf(s, `<tspan class="%s">%s</tspan>`, sp.class, esc(sp.text))
			}
		}
		s.WriteString("</text>\n")
	}
}

func functionRows(c topology.Cloud, f topology.Function) []row {
	rows := []row{{spans: []span{{f.Name, "title"}, {"  " + settings(c, f), "muted"}}}}
	for _, r := range f.Routes {
		rows = append(rows, row{spans: []span{{fmt.Sprintf("%-6s %s ", r.Method, r.Path), ""}, {string(r.Auth), string(r.Auth)}}})
	}
	for _, sc := range f.Schedules {
		rows = append(rows, row{spans: []span{{"schedule ", "muted"}, {sc.Expression, ""}}})
	}
	for _, r := range f.Rules {
		text := strings.Join(r.Types, ", ")
		for _, fl := range r.Filters {
			vals := make([]string, len(fl.Values))
			for i, v := range fl.Values {
				vals[i] = fmt.Sprint(v)
			}
			text += " where " + fl.Field + "=" + strings.Join(vals, "|")
		}
		rows = append(rows, row{spans: []span{{"rule " + r.Name + " ← ", "muted"}, {text, ""}}, events: r.Types})
	}
	for _, dt := range f.Publishes {
		rows = append(rows, row{spans: []span{{"publishes → ", "muted"}, {dt, ""}}, events: []string{dt}, pub: true})
	}
	for _, g := range f.Grants {
		rows = append(rows, row{spans: []span{{"table ", "muted"}, {g.Table, ""}, {" " + accessVerb(g.Access), "muted"}}, table: g.Table, access: g.Access})
	}
	for _, sc := range f.Secrets {
		rows = append(rows, row{spans: []span{{"secret ", "muted"}, {sc, ""}}})
	}
	for _, name := range f.Invokes {
		rows = append(rows, row{spans: []span{{"invokes → ", "muted"}, {name, ""}}})
	}
	return rows
}

// settings summarises a function's size and role in a few words.
func settings(c topology.Cloud, f topology.Function) string {
	parts := []string{fmt.Sprintf("%d MB", f.MemoryMB), "timeout " + dur(f.Timeout)}
	if f.Concurrency > 0 {
		parts = append(parts, fmt.Sprintf("at most %d at a time", f.Concurrency))
	}
	if f.Name == c.Authorizer {
		parts = append(parts, "the gateway's authorizer")
	}
	if f.Operator {
		parts = append(parts, "operator")
	}
	var callers []string
	for _, other := range c.Functions {
		if slices.Contains(other.Invokes, f.Name) {
			callers = append(callers, other.Name)
		}
	}
	if len(callers) > 0 {
		parts = append(parts, "invoked by "+strings.Join(callers, ", "))
	}
	return strings.Join(parts, ", ")
}

func dur(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%gs", d.Seconds())
}

func tableRows(t topology.Table) []row {
	key := t.PartitionKey.Name
	if t.SortKey != nil {
		key += ", " + t.SortKey.Name
	}
	rows := []row{{spans: []span{{t.Name, "title"}}}, {spans: []span{{"key ", "muted"}, {key, ""}}}}
	for _, ix := range t.Indexes {
		k := ix.PartitionKey.Name
		if ix.SortKey != nil {
			k += ", " + ix.SortKey.Name
		}
		rows = append(rows, row{spans: []span{{"index ", "muted"}, {ix.Name, ""}, {" (" + k + ")", "muted"}}})
	}
	if t.TTL != "" {
		rows = append(rows, row{spans: []span{{"expires by ", "muted"}, {t.TTL, ""}}})
	}
	return rows
}

func accessVerb(a topology.Access) string {
	switch a {
	case topology.Read:
		return "reads"
	case topology.Write:
		return "writes"
	}
	return "reads and writes"
}

// place stacks boxes in one column at x, each as near the mean of its wanted
// heights as the boxes above allow, in the order of those means; it returns
// the column's bottom.
func place(boxes []*box, x, w float64, want map[*box][]float64) float64 {
	mean := func(b *box) float64 {
		ys := want[b]
		if len(ys) == 0 {
			return 1e9 // joined to nothing: last
		}
		sum := 0.0
		for _, y := range ys {
			sum += y
		}
		return sum / float64(len(ys))
	}
	order := slices.Clone(boxes)
	slices.SortStableFunc(order, func(a, b *box) int {
		ma, mb := mean(a), mean(b)
		switch {
		case ma < mb:
			return -1
		case ma > mb:
			return 1
		}
		return 0
	})
	y := headerH
	for _, b := range order {
		b.x, b.w = x, w
		target := mean(b) - b.h()/2
		if target > 1e8 {
			target = y
		}
		b.y = max(y, target)
		y = b.y + b.h() + boxGap
	}
	return y
}

func widest(boxes []*box) float64 {
	most := 0
	for _, b := range boxes {
		for _, r := range b.rows {
			most = max(most, r.len())
		}
	}
	return float64(most)*charW + 2*pad
}

func mapped(names []string, m map[string]*box) []*box {
	out := make([]*box, len(names))
	for i, name := range names {
		out[i] = m[name]
	}
	return out
}

// curve is a horizontal S-curve from (x1,y1) to (x2,y2).
func curve(x1, y1, x2, y2 float64) string {
	dx := (x2 - x1) / 2
	return fmt.Sprintf("M%s,%s C%s,%s %s,%s %s,%s", n(x1), n(y1), n(x1+dx), n(y1), n(x2-dx), n(y2), n(x2), n(y2))
}

// n formats a coordinate with at most one decimal, the same on every machine.
func n(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	return strings.TrimSuffix(s, ".0")
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func esc(s string) string { return escaper.Replace(s) }
