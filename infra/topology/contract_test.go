package topology

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/infra/pattern"
)

// TestEventContracts checks producers and consumers together: every rule
// matches some catalogued event, every event a rule waits for has a declared
// publisher, and every catalogued event is published by someone.
func TestEventContracts(t *testing.T) {
	c := Kiosk()
	published := map[string]bool{}
	for _, f := range c.Functions {
		for _, dt := range f.Publishes {
			published[dt] = true
		}
	}
	samples := map[string][]byte{}
	for _, typ := range events.Catalog {
		b, err := os.ReadFile(filepath.Join("..", "..", "events", "samples", typ.DetailType+".json"))
		if err != nil {
			t.Fatal(err)
		}
		samples[typ.DetailType] = b
		if !published[typ.DetailType] {
			t.Errorf("%s is in the catalogue but no function publishes it", typ.DetailType)
		}
	}
	for _, f := range c.Functions {
		for _, r := range f.Rules {
			p, err := pattern.Parse([]byte(r.Pattern()))
			if err != nil {
				t.Fatal(err)
			}
			matched := false
			for dt, sample := range samples {
				if p.Match(sample) {
					matched = true
					if !published[dt] {
						t.Errorf("%s/%s consumes %s, which nobody publishes", f.Name, r.Name, dt)
					}
				}
			}
			if !matched {
				t.Errorf("%s/%s can never match a catalogued event: %s", f.Name, r.Name, r.Pattern())
			}
			for _, dt := range p.Values("detail-type") {
				if !slices.Contains(keys(samples), dt) {
					t.Errorf("%s/%s names %s, which is not catalogued", f.Name, r.Name, dt)
				}
			}
		}
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
