package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/infra/topology"
)

var update = flag.Bool("update", false, "rewrite docs/topology.svg from the topology")

var committed = filepath.Join("..", "..", "..", "docs", "topology.svg")

// TestTheCommittedDiagramIsCurrent keeps docs/topology.svg drawn from the
// topology as it is: change kiosk.go and this fails until `make diagram` (or
// go test ./infra/cmd/diagram -update) redraws it.
func TestTheCommittedDiagramIsCurrent(t *testing.T) {
	want := Render(topology.Kiosk())
	if *update {
		if err := os.WriteFile(committed, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(committed)
	if err != nil {
		t.Fatalf("docs/topology.svg is missing (run make diagram): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Error("docs/topology.svg is out of date with infra/topology; run make diagram")
	}
}

// TestAChangedTopologyMakesTheDiagramStale: the check above sees a change as
// small as one route.
func TestAChangedTopologyMakesTheDiagramStale(t *testing.T) {
	c := topology.Kiosk()
	c.Functions[0].Routes = append(c.Functions[0].Routes, topology.Route{Method: "GET", Path: "/v1/health/deep", Auth: topology.Public})
	if bytes.Equal(Render(c), Render(topology.Kiosk())) {
		t.Error("a new route left the diagram unchanged")
	}
	if !bytes.Contains(Render(c), []byte("/v1/health/deep")) {
		t.Error("the new route is not drawn")
	}
}

// TestTheDiagramShowsTheWholeTopology: well-formed SVG, the same bytes every
// time, and every function, domain, route, schedule, rule, published event,
// table and grant in it.
func TestTheDiagramShowsTheWholeTopology(t *testing.T) {
	c := topology.Kiosk()
	svg := Render(c)
	if !bytes.Equal(svg, Render(c)) {
		t.Fatal("two renderings of one topology differ")
	}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.CharData:
			text.Write(tok)
		case xml.EndElement:
			if tok.Name.Local == "text" || tok.Name.Local == "title" {
				text.WriteByte('\n')
			}
		case xml.StartElement:
			for _, a := range tok.Attr {
				if a.Name.Local == "href" && !strings.HasPrefix(a.Value, "#") {
					t.Errorf("the SVG links outside itself: %s", a.Value)
				}
			}
		}
	}
	all := text.String()
	var want []string
	for _, f := range c.Functions {
		want = append(want, f.Name, "domain "+f.Domain)
		for _, r := range f.Routes {
			want = append(want, r.Path+" "+string(r.Auth))
		}
		for _, s := range f.Schedules {
			want = append(want, s.Expression)
		}
		for _, r := range f.Rules {
			want = append(want, "rule "+r.Name+" ← "+strings.Join(r.Types, ", "))
		}
		for _, dt := range f.Publishes {
			want = append(want, "publishes → "+dt, f.Name+" publishes "+dt)
		}
		for _, g := range f.Grants {
			want = append(want, f.Name+" "+accessVerb(g.Access)+" "+g.Table)
		}
		for _, name := range f.Invokes {
			want = append(want, "invokes → "+name)
		}
	}
	for _, tb := range c.Tables {
		want = append(want, tb.Name)
	}
	for _, typ := range events.Catalog {
		want = append(want, typ.DetailType)
	}
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("the diagram does not show %q", w)
		}
	}
}
