package metrics

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"
)

type directive = Directive

// lines decodes every line as the spec reads it: each metric and each
// dimension named in the directive must be a top-level member of the line.
func lines(t *testing.T, out []byte) []map[string]any {
	t.Helper()
	var all []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var d directive
		var top map[string]any
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("not JSON: %v: %s", err, sc.Bytes())
		}
		if err := json.Unmarshal(sc.Bytes(), &top); err != nil {
			t.Fatal(err)
		}
		if d.AWS.Timestamp == 0 || len(d.AWS.CloudWatchMetrics) != 1 {
			t.Fatalf("no timestamp or directive: %s", sc.Bytes())
		}
		cw := d.AWS.CloudWatchMetrics[0]
		if len(cw.Metrics) == 0 || len(cw.Metrics) > 100 {
			t.Fatalf("%d metrics in one directive (1..100): %s", len(cw.Metrics), sc.Bytes())
		}
		for _, set := range cw.Dimensions {
			if len(set) > 30 {
				t.Fatalf("%d dimensions in a set", len(set))
			}
			for _, dim := range set {
				if _, ok := top[dim].(string); !ok {
					t.Fatalf("dimension %q has no string value at the top level: %s", dim, sc.Bytes())
				}
			}
		}
		for _, m := range cw.Metrics {
			if _, ok := top[m.Name].(float64); !ok {
				t.Fatalf("metric %q has no number at the top level: %s", m.Name, sc.Bytes())
			}
		}
		all = append(all, top)
	}
	return all
}

func TestALineIsEmbeddedMetricFormatWithTheValuesAtTheTop(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, "ingest-feeds", "Kiosk/dev")
	ctx, s := Start(context.Background())
	Add(ctx, ArticlesStored, 3)
	Add(ctx, ArticlesStored, 4)
	Add(ctx, SourcesFailing, 1)
	w.Flush(s, time.UnixMilli(1764547200000))
	got := lines(t, buf.Bytes())
	if len(got) != 1 {
		t.Fatalf("want one line, got %d:\n%s", len(got), buf.String())
	}
	l := got[0]
	if l["ArticlesStored"] != 7.0 || l["SourcesFailing"] != 1.0 || l["ColdStarts"] != 1.0 || l["function"] != "ingest-feeds" {
		t.Fatalf("values: %v", l)
	}
	var d directive
	_ = json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &d)
	if d.AWS.Timestamp != 1764547200000 || d.AWS.CloudWatchMetrics[0].Namespace != "Kiosk/dev" {
		t.Fatalf("directive: %+v", d)
	}
	if u := d.AWS.CloudWatchMetrics[0].Metrics[0].Unit; u != "Count" {
		t.Fatalf("unit %q", u)
	}
}

func TestOnlyTheFirstFlushIsAColdStartAndAnEmptyOneWritesNothing(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, "feed-api", "Kiosk")
	_, s := Start(context.Background())
	w.Flush(s, time.Now())
	if got := lines(t, buf.Bytes()); len(got) != 1 || got[0]["ColdStarts"] != 1.0 {
		t.Fatalf("first flush: %s", buf.String())
	}
	buf.Reset()
	_, s = Start(context.Background())
	w.Flush(s, time.Now())
	if buf.Len() != 0 {
		t.Fatalf("a warm invocation that recorded nothing wrote %q", buf.String())
	}
}

func TestEachDimensionValueGetsItsOwnLine(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, "tracking-api", "Kiosk")
	w.cold.Store(false)
	ctx, s := Start(context.Background())
	AddBy(ctx, EventsRefused, "invalid", 5)
	Add(ctx, EventsAccepted, 2)
	AddBy(ctx, EventsRefused, "too_large", 1)
	AddBy(ctx, EventsRefused, "invalid", 1)
	w.Flush(s, time.Now())
	got := lines(t, buf.Bytes())
	if len(got) != 3 {
		t.Fatalf("want 3 lines (invalid, none, too_large), got %d:\n%s", len(got), buf.String())
	}
	if got[0]["reason"] != "invalid" || got[0]["EventsRefused"] != 6.0 || got[1]["EventsAccepted"] != 2.0 ||
		got[2]["reason"] != "too_large" || got[2]["EventsRefused"] != 1.0 {
		t.Fatalf("lines: %v", got)
	}
	if _, ok := got[1]["reason"]; ok {
		t.Fatal("a metric without the dimension was written with it")
	}
}

func TestNoLineCarriesMoreThanAHundredMetrics(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, "f", "Kiosk")
	w.cold.Store(false)
	ctx, s := Start(context.Background())
	for i := range 250 {
		Add(ctx, Metric{Name: fmt.Sprintf("M%03d", i), Unit: Count}, 1)
	}
	w.Flush(s, time.Now())
	got := lines(t, buf.Bytes())
	n := 0
	for _, l := range got {
		n += len(l) - 2 // _aws and function
	}
	if len(got) != 3 || n != 250 {
		t.Fatalf("250 metrics in %d lines carrying %d", len(got), n)
	}
}

func TestNamesAreQuotedWhateverTheyHold(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, `f"\n`, "Kiosk")
	w.cold.Store(false)
	ctx, s := Start(context.Background())
	AddBy(ctx, EventsRefused, "a\"b\n\x00é\xff", 1)
	w.Flush(s, time.Now())
	got := lines(t, buf.Bytes())
	if len(got) != 1 || got[0]["reason"] != "a\"b\n\x00é\uFFFD" || got[0]["function"] != "f\"\\n" {
		t.Fatalf("%q", buf.String())
	}
}

func TestAValueThatIsNotAFiniteNumberIsDropped(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, "rank-feeds", "Kiosk")
	w.cold.Store(false)
	ctx, s := Start(context.Background())
	Add(ctx, FeedFreshness, math.NaN())
	Add(ctx, RankingDuration, math.Inf(1))
	Add(ctx, RankingItems, 3)
	w.Flush(s, time.Now())
	if got := lines(t, buf.Bytes()); len(got) != 1 || len(got[0]) != 3 || got[0]["RankingItems"] != 3.0 {
		t.Fatalf("%s", buf.String())
	}
}

func TestRecordingOutsideAnInvocationIsANoOp(t *testing.T) {
	Add(context.Background(), ArticlesStored, 1) // must not panic
}

func TestTheCatalogueNamesAreUniqueAndEachHasAUnit(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Catalogue() {
		if seen[m.Name] || m.Unit == "" || m.Help == "" {
			t.Fatalf("bad or repeated metric %+v", m)
		}
		seen[m.Name] = true
	}
}

// BenchmarkRequestRecordingNothing is what every API request pays: a Set in
// its context and a flush that writes nothing.
func BenchmarkRequestRecordingNothing(b *testing.B) {
	w := NewWriter(io.Discard, "feed-api", "Kiosk")
	w.cold.Store(false)
	b.ReportAllocs()
	for b.Loop() {
		_, s := Start(context.Background())
		w.Flush(s, time.Now())
	}
}

// BenchmarkRequestRecordingThree is a tracking request: three metrics, one
// with a dimension, so two lines.
func BenchmarkRequestRecordingThree(b *testing.B) {
	w := NewWriter(io.Discard, "tracking-api", "Kiosk")
	w.cold.Store(false)
	b.ReportAllocs()
	for b.Loop() {
		ctx, s := Start(context.Background())
		Add(ctx, EventsAccepted, 25)
		Add(ctx, EventsDuplicated, 0)
		AddBy(ctx, EventsRefused, "invalid", 3)
		w.Flush(s, time.Now())
	}
}

// BenchmarkBaselineOneLogLine is the baseline make bench compares with: one
// slog JSON line like the access log's (eight attributes), to io.Discard.
func BenchmarkBaselineOneLogLine(b *testing.B) {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil)).With("function", "tracking-api")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		log.InfoContext(ctx, "request", "route", "POST /v1/events", "method", "POST", "path", "/v1/events", "status", 202,
			"duration_ms", 3.25, "dynamodb_calls", 27, "eventbridge_calls", 1, "request_id", "woFiOVK5qHzwjA==")
	}
}
