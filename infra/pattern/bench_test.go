package pattern

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// benchRules is a bus's worth of rules using every operator: 25 shapes, each
// for four sources.
func benchRules(tb testing.TB) []*Pattern {
	shapes := []string{
		`{"source":["%s"],"detail-type":["Order Placed"]}`,
		`{"source":["%s"],"detail":{"state":["PAID","SHIPPED"]}}`,
		`{"source":["%s"],"detail":{"region":[{"prefix":"eu-"}]}}`,
		`{"source":["%s"],"detail":{"region":[{"suffix":"-2"}]}}`,
		`{"source":["%s"],"detail":{"state":[{"equals-ignore-case":"paid"}]}}`,
		`{"source":["%s"],"detail":{"region":[{"prefix":{"equals-ignore-case":"US-"}}]}}`,
		`{"source":["%s"],"detail":{"state":[{"anything-but":["NEW","VOID"]}]}}`,
		`{"source":["%s"],"detail":{"region":[{"anything-but":{"prefix":["ap-","sa-"]}}]}}`,
		`{"source":["%s"],"detail":{"state":[{"anything-but":{"equals-ignore-case":"void"}}]}}`,
		`{"source":["%s"],"detail":{"client":{"agent":[{"anything-but":{"wildcard":"*bot*"}}]}}}`,
		`{"source":["%s"],"detail":{"total":[{"numeric":[">",100,"<=",1000]}]}}`,
		`{"source":["%s"],"detail":{"count":[{"numeric":["=",3]}]}}`,
		`{"source":["%s"],"detail":{"customer":[{"exists":true}]}}`,
		`{"source":["%s"],"detail":{"refund":[{"exists":false}]}}`,
		`{"source":["%s"],"detail":{"client":{"ip":[{"cidr":"10.0.0.0/16"}]}}}`,
		`{"source":["%s"],"detail":{"client":{"ip6":[{"cidr":"2001:db8::/32"}]}}}`,
		`{"source":["%s"],"detail":{"client":{"agent":[{"wildcard":"Kiosk/*(*)"}]}}}`,
		`{"source":["%s"],"$or":[{"detail":{"state":["NEW"]}},{"detail":{"count":[{"numeric":[">",2]}]}}]}`,
		`{"source":["%s"],"detail":{"tags":["gift"]}}`,
		`{"source":["%s"],"detail":{"items":{"sku":["B2"],"qty":[{"numeric":[">",1]}]}}}`,
		`{"source":["%s"],"detail":{"items":{"kind":["book"],"qty":[5]}}}`,
		`{"source":["%s"],"detail.state":["PAID"]}`,
		`{"source":["%s"],"detail":{"note":[""]}}`,
		`{"source":["%s"],"detail":{"customer":[null]}}`,
		`{"source":[{"prefix":"%s"}],"detail-type":[{"anything-but":"Order Void"}]}`,
	}
	var out []*Pattern
	for _, src := range []string{"shop.orders", "shop.users", "shop.stock", "shop.mail"} {
		for _, s := range shapes {
			p, err := Parse([]byte(fmt.Sprintf(s, src)))
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, p)
		}
	}
	return out
}

// benchEvents are the order event under a few sources.
func benchEvents() [][]byte {
	var out [][]byte
	for _, src := range []string{"shop.orders", "shop.users", "shop.stock", "shop.other"} {
		out = append(out, bytes.Replace([]byte(order), []byte("shop.orders"), []byte(src), 1))
	}
	return out
}

// BenchmarkMatchRules decodes each event once and tests it against every rule,
// as a bus does; matches/s counts event × rule pairs per second.
func BenchmarkMatchRules(b *testing.B) {
	rules, events := benchRules(b), benchEvents()
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		dec := json.NewDecoder(bytes.NewReader(events[i%len(events)]))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			b.Fatal(err)
		}
		ev := Flatten(obj)
		for _, r := range rules {
			if r.MatchFlat(ev) {
				hits++
			}
		}
	}
	b.ReportMetric(float64(b.N*len(rules))/b.Elapsed().Seconds(), "matches/s")
	if hits == 0 {
		b.Fatal("no rule matched")
	}
}

// BenchmarkMatchRulesNaive is the baseline: every rule decodes the event itself.
func BenchmarkMatchRulesNaive(b *testing.B) {
	rules, events := benchRules(b), benchEvents()
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		ev := events[i%len(events)]
		for _, r := range rules {
			if r.Match(ev) {
				hits++
			}
		}
	}
	b.ReportMetric(float64(b.N*len(rules))/b.Elapsed().Seconds(), "matches/s")
	if hits == 0 {
		b.Fatal("no rule matched")
	}
}

// TestBenchRulesAgree makes sure both benchmarks measure the same answers.
func TestBenchRulesAgree(t *testing.T) {
	rules, events := benchRules(t), benchEvents()
	for _, e := range events {
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(e))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			t.Fatal(err)
		}
		ev := Flatten(obj)
		for i, r := range rules {
			if r.MatchFlat(ev) != r.Match(e) {
				t.Errorf("rule %d disagrees between Match and MatchFlat", i)
			}
		}
	}
}
