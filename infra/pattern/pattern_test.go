package pattern

import (
	"fmt"
	"strings"
	"testing"
)

const published = `{"version":"0","id":"1","detail-type":"article.published","source":"kiosk.articles",
"account":"123456789012","time":"2026-01-01T00:00:00Z","region":"us-east-1","resources":[],
"detail":{"id":"a1","category":"tech","score":42,"tags":["go","aws"],"source":{"host":"example.com"},"pinned":null}}`

func TestMatch(t *testing.T) {
	cases := []struct {
		name    string
		pattern string
		want    bool
	}{
		{"an exact source matches", `{"source":["kiosk.articles"]}`, true},
		{"another source does not match", `{"source":["kiosk.users"]}`, false},
		{"any value of a list may match", `{"detail-type":["x","article.published"]}`, true},
		{"nested fields match", `{"detail":{"source":{"host":["example.com"]}}}`, true},
		{"a nested field on a scalar does not match", `{"detail":{"category":{"x":["y"]}}}`, false},
		{"a prefix matches", `{"detail-type":[{"prefix":"article."}]}`, true},
		{"a suffix matches", `{"detail-type":[{"suffix":".published"}]}`, true},
		{"a wrong prefix does not match", `{"detail-type":[{"prefix":"user."}]}`, false},
		{"equals-ignore-case matches", `{"detail":{"category":[{"equals-ignore-case":"TECH"}]}}`, true},
		{"anything-but a value excludes it", `{"detail":{"category":[{"anything-but":"tech"}]}}`, false},
		{"anything-but a list lets others through", `{"detail":{"category":[{"anything-but":["sport","news"]}]}}`, true},
		{"anything-but a prefix excludes it", `{"detail":{"category":[{"anything-but":{"prefix":"te"}}]}}`, false},
		{"anything-but needs the field", `{"detail":{"missing":[{"anything-but":"x"}]}}`, false},
		{"exists true finds a field", `{"detail":{"id":[{"exists":true}]}}`, true},
		{"exists false finds a missing field", `{"detail":{"missing":[{"exists":false}]}}`, true},
		{"exists true misses a missing field", `{"detail":{"missing":[{"exists":true}]}}`, false},
		{"a numeric range matches", `{"detail":{"score":[{"numeric":[">",10,"<=",42]}]}}`, true},
		{"a numeric range excludes", `{"detail":{"score":[{"numeric":[">",42]}]}}`, false},
		{"numeric equality matches", `{"detail":{"score":[{"numeric":["=",42]}]}}`, true},
		{"an exact number matches numerically", `{"detail":{"score":[42.0]}}`, true},
		{"numeric on a string does not match", `{"detail":{"category":[{"numeric":[">",0]}]}}`, false},
		{"array values match if any element does", `{"detail":{"tags":["aws"]}}`, true},
		{"null matches null", `{"detail":{"pinned":[null]}}`, true},
		{"every field must match", `{"source":["kiosk.articles"],"detail-type":["nope"]}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse([]byte(c.pattern))
			if err != nil {
				t.Fatalf("Parse(%s): %v", c.pattern, err)
			}
			if got := p.Match([]byte(published)); got != c.want {
				t.Errorf("Match = %v, want %v for %s", got, c.want, c.pattern)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	cases := map[string]string{
		"not JSON":                    `{"source":`,
		"not an object":               `["a"]`,
		"an empty pattern":            `{}`,
		"a scalar leaf":               `{"source":"kiosk.articles"}`,
		"an empty list":               `{"source":[]}`,
		"an unknown filter":           `{"source":[{"regex":"a*"}]}`,
		"a filter with two keys":      `{"source":[{"prefix":"a","suffix":"b"}]}`,
		"an odd numeric list":         `{"n":[{"numeric":[">"]}]}`,
		"an unknown numeric operator": `{"n":[{"numeric":["!=",1]}]}`,
		"a reversed range":            `{"n":[{"numeric":["<",1,">",0]}]}`,
		"exists with a string":        `{"n":[{"exists":"yes"}]}`,
		"prefix with a number":        `{"n":[{"prefix":1}]}`,
		"an empty nested object":      `{"detail":{}}`,
		"trailing data":               `{"a":["b"]} {}`,
	}
	for name, src := range cases {
		t.Run("it refuses "+name, func(t *testing.T) {
			if _, err := Parse([]byte(src)); err == nil {
				t.Errorf("Parse(%s) succeeded, want an error", src)
			}
		})
	}
}

// TestOrExpansionIsBounded: "$or"s multiply into alternatives; past 1024 the
// pattern is refused rather than let one rule eat the bus's memory and time.
// (A bound of this package, not one EventBridge states.)
func TestOrExpansionIsBounded(t *testing.T) {
	manyOr := func(n int) string {
		var fields []string
		for i := 0; i < n; i++ {
			fields = append(fields, fmt.Sprintf(`"f%d":{"$or":[{"a":["x"]},{"b":["y"]}]}`, i))
		}
		return "{" + strings.Join(fields, ",") + "}"
	}
	if _, err := Parse([]byte(manyOr(10))); err != nil {
		t.Errorf("1024 alternatives refused: %v", err)
	}
	if _, err := Parse([]byte(manyOr(11))); err == nil || !strings.Contains(err.Error(), "more than 1024 alternatives") {
		t.Errorf("2048 alternatives: %v, want them refused", err)
	}
	wide := `{"$or":[` + strings.TrimSuffix(strings.Repeat(`{"a":["x"]},`, 1025), ",") + `]}`
	if _, err := Parse([]byte(wide)); err == nil {
		t.Error("an $or of 1025 branches was accepted")
	}
}

func TestValues(t *testing.T) {
	p := MustParse(`{"source":["kiosk.a","kiosk.b",{"prefix":"x"}],"detail":{"a":["b"]}}`)
	if got := p.Values("source"); len(got) != 2 || got[0] != "kiosk.a" || got[1] != "kiosk.b" {
		t.Errorf("Values(source) = %v", got)
	}
	if got := p.Values("detail"); got != nil {
		t.Errorf("Values(detail) = %v, want nil", got)
	}
}

func FuzzMatch(f *testing.F) {
	f.Add(`{"source":["kiosk.articles"]}`, published)
	f.Add(`{"detail":{"score":[{"numeric":[">",1]}]}}`, `{"detail":{"score":2}}`)
	f.Add(`{"a":[{"wildcard":"x*y\\*z"},{"cidr":"10.0.0.0/8"},{"prefix":{"equals-ignore-case":"AB"}}]}`, `{"a":["xqy*z","10.1.2.3","abc"]}`)
	f.Add(`{"a":[{"anything-but":{"wildcard":["*x*","y*"]}},{"anything-but":{"suffix":["a","b"]}},{"anything-but":[1,2]}]}`, `{"a":"zz"}`)
	f.Add(`{"a":{"b":["x"],"c":[{"exists":false}]},"$or":[{"d":[null]},{"e":[{"equals-ignore-case":"Q"}]}]}`, `{"a":[{"b":"x"},{"b":"y","c":1}],"e":"q"}`)
	f.Add(`{"a.b":[{"numeric":[">=",0,"<",1e-3]}],"c":[{"cidr":"2001:db8::/32"}]}`, `{"a.b":5e-4,"c":"2001:db8::1"}`)
	f.Fuzz(func(t *testing.T, pat, event string) {
		p, err := Parse([]byte(pat))
		if err != nil {
			return
		}
		got := p.Match([]byte(event)) // must not panic
		// A pattern and its copy inside "$or" with a pattern that matches
		// nothing must give the same answer.
		q, err := Parse([]byte(`{"$or":[` + pat + `,{"kiosk-fuzz-never":[{"exists":true}]}]}`))
		if err != nil {
			return // the pattern used "$or" as a field name or hit the expansion bound
		}
		if q.Match([]byte(event)) != got {
			t.Errorf("%s and its $or wrapper disagree on %s", pat, event)
		}
	})
}
