// Package metrics writes Kiosk's business metrics in CloudWatch's Embedded
// Metric Format: at the end of each invocation, one JSON line on stdout (like
// every other log line) that CloudWatch Logs turns into metrics, with no API
// call and no agent; the local cloud reads the same lines (/_local/metrics).
// The metrics are declared here, once (Catalogue): the functions record them,
// the topology's dashboards and alarms name them. A domain never imports this
// package: a function's main records what its service returned.
//
// The hot path is small: trigger and httpapi start a Set per invocation, a
// record is an append to a fixed array, and the line is built by hand (no
// reflection, no encoding/json); an invocation that recorded nothing writes
// nothing, except the cold start's one line.
package metrics

import (
	"context"
	"io"
	"math"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/kiosk-news/kiosk/shared/platform/clock"
)

// Unit is a CloudWatch unit.
type Unit string

// The units Kiosk's metrics use.
const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
	Seconds      Unit = "Seconds"
)

// Namespace is the default CloudWatch namespace (a deployment sets its own:
// Kiosk/<stage>, through KIOSK_METRICS_NAMESPACE, read by boot).
const Namespace = "Kiosk"

// FunctionDimension is the dimension every metric carries: the function's
// name as in the topology.
const FunctionDimension = "function"

// Metric is a declared business metric. Dimension, when set, is a second
// dimension whose value the recorder gives (e.g. a refusal's reason); its
// values must come from a small fixed set (each is a CloudWatch metric).
type Metric struct {
	Name      string `json:"name"`
	Unit      Unit   `json:"unit"`
	Domain    string `json:"domain"`
	Function  string `json:"function"` // the function that records it
	Dimension string `json:"dimension,omitempty"`
	Help      string `json:"help"`
}

// The catalogue. Each is recorded by one function (Function) and shown on
// its domain's dashboard.
var (
	ArticlesFetched    = Metric{"ArticlesFetched", Count, "article", "ingest-feeds", "", "feed items read from sources that answered with content"}
	ArticlesStored     = Metric{"ArticlesStored", Count, "article", "ingest-feeds", "", "new articles stored by an ingestion run"}
	ArticlesDuplicated = Metric{"ArticlesDuplicated", Count, "article", "ingest-feeds", "", "items already stored (a re-fetch or a syndicated copy)"}
	SourcesFailing     = Metric{"SourcesFailing", Count, "article", "ingest-feeds", "", "due sources whose fetch or parse failed in a run"}
	FailureStreak      = Metric{"SourceFailureStreak", Count, "article", "ingest-feeds", "", "the most consecutive failures of a source that failed in a run (recorded only by runs with a failure)"}
	ArticlesAnnounced  = Metric{"ArticlesAnnounced", Count, "article", "announce-articles", "", "articles relayed to the bus as article.published"}
	EventsAccepted     = Metric{"EventsAccepted", Count, "tracking", "tracking-api", "", "app events stored (first time seen)"}
	EventsDuplicated   = Metric{"EventsDuplicated", Count, "tracking", "tracking-api", "", "app events sent again (counted once)"}
	EventsRefused      = Metric{"EventsRefused", Count, "tracking", "tracking-api", "reason", "events of decoded batches refused, by the error code (nothing of the batch is stored; a body that does not decode is a RequestsRefused only)"}
	KPIPeriodsComputed = Metric{"KPIPeriodsRecomputed", Count, "tracking", "aggregate-kpi", "", "hour and day partials recomputed by shard jobs"}
	RankingDuration    = Metric{"RankingDuration", Milliseconds, "feed", "rank-feeds", "", "duration of a ranking run"}
	RankingItems       = Metric{"RankingItems", Count, "feed", "rank-feeds", "", "articles of the window a ranking run scored"}
	FeedFreshness      = Metric{"FeedFreshness", Seconds, "feed", "rank-feeds", "", "age of the newest story in top when a ranking run stored it"}
	NotificationsSent  = Metric{"NotificationsWritten", Count, "feed", "notify-trending", "", "trending stories recorded for the inboxes (each reaches every interested reader on read)"}
	ColdStarts         = Metric{"ColdStarts", Count, "", "", "", "first invocation of an instance (every function)"}
	BatchSucceeded     = Metric{"BatchSucceeded", Count, "", "", "", "a scheduled or manual run of a batch that ended ok (every batch)"}
	RequestsRefused    = Metric{"RequestsRefused", Count, "", "", "reason", "4xx answers of the API functions, by error code, 413 and 429 included (every API function)"}
)

// Catalogue is every declared metric.
func Catalogue() []Metric {
	return []Metric{ArticlesFetched, ArticlesStored, ArticlesDuplicated, SourcesFailing, FailureStreak, ArticlesAnnounced,
		EventsAccepted, EventsDuplicated, EventsRefused, KPIPeriodsComputed,
		RankingDuration, RankingItems, FeedFreshness, NotificationsSent, ColdStarts, BatchSucceeded, RequestsRefused}
}

// At most 100 metrics per directive (and so per line), as the format allows.
const maxPerLine = 100

type value struct {
	name, dimName, dim string
	unit               Unit
	v                  float64
}

// Set is what one invocation recorded.
type Set struct {
	mu   sync.Mutex
	vals []value
}

type setKey struct{}

// Start returns a context that records into a fresh Set; Flush writes it.
func Start(ctx context.Context) (context.Context, *Set) {
	s := &Set{}
	return context.WithValue(ctx, setKey{}, s), s
}

// Add adds v to a metric of the invocation (values of one metric sum).
func Add(ctx context.Context, m Metric, v float64) { AddBy(ctx, m, "", v) }

// AddBy adds v to a metric for one value of its dimension. A value that is
// not a finite number is dropped (JSON has no NaN, and CloudWatch refuses it).
func AddBy(ctx context.Context, m Metric, dim string, v float64) {
	s, ok := ctx.Value(setKey{}).(*Set)
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.vals {
		if s.vals[i].name == m.Name && s.vals[i].dim == dim {
			s.vals[i].v += v
			return
		}
	}
	s.vals = append(s.vals, value{name: m.Name, dimName: m.Dimension, dim: dim, unit: m.Unit, v: v})
}

// Writer is where lines go: the process's stdout, as every log line.
type Writer struct {
	mu        sync.Mutex
	w         io.Writer
	namespace string
	function  string
	cold      atomic.Bool
	buf, vals []byte
}

var std = &Writer{w: os.Stdout, namespace: Namespace, function: "unknown"}

func init() { std.cold.Store(true) }

// Setup names the function and the namespace of the process's lines; boot.Init
// calls it once.
func Setup(function, namespace string) {
	std.mu.Lock()
	defer std.mu.Unlock()
	std.function = function
	if namespace != "" {
		std.namespace = namespace
	}
}

// NewWriter is a writer to w (for tests and benchmarks); its first Flush is
// a cold start.
func NewWriter(w io.Writer, function, namespace string) *Writer {
	wr := &Writer{w: w, function: function, namespace: namespace}
	wr.cold.Store(true)
	return wr
}

// Flush writes the process's Set as EMF lines on stdout, stamped with
// clock.Now (the local cloud's virtual clock; real time in AWS).
func Flush(s *Set) { std.Flush(s, clock.Now()) }

// Flush writes what s recorded (and the cold start, on the writer's first
// flush) as EMF lines: one per dimension value, so each line's dimension
// values are its top-level fields, as the format requires. s is emptied.
func (w *Writer) Flush(s *Set, now time.Time) {
	cold := w.cold.Swap(false)
	s.mu.Lock()
	defer s.mu.Unlock()
	if cold {
		s.vals = append(s.vals, value{name: ColdStarts.Name, unit: ColdStarts.Unit, v: 1})
	}
	if len(s.vals) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(s.vals) > 0 {
		// The first value's dimension, and every value with the same (at most 100).
		dimName, dim := s.vals[0].dimName, s.vals[0].dim
		b := w.buf[:0]
		b = append(b, `{"_aws":{"Timestamp":`...)
		b = strconv.AppendInt(b, now.UnixMilli(), 10)
		b = append(b, `,"CloudWatchMetrics":[{"Namespace":`...)
		b = appendString(b, w.namespace)
		b = append(b, `,"Dimensions":[["`+FunctionDimension+`"`...)
		if dimName != "" {
			b = append(b, ',')
			b = appendString(b, dimName)
		}
		b = append(b, `]],"Metrics":[`...)
		vals, rest, k := w.vals[:0], s.vals[:0], 0
		for _, v := range s.vals {
			if v.dimName != dimName || v.dim != dim || k == maxPerLine {
				rest = append(rest, v) // in place: rest never passes the reader
				continue
			}
			if k > 0 {
				b = append(b, ',')
			}
			k++
			b = append(b, `{"Name":`...)
			b = appendString(b, v.name)
			b = append(b, `,"Unit":"`...)
			b = append(b, v.unit...)
			b = append(b, `"}`...)
			vals = append(vals, ',')
			vals = appendString(vals, v.name)
			vals = append(vals, ':')
			vals = strconv.AppendFloat(vals, v.v, 'f', -1, 64)
		}
		s.vals = rest
		b = append(b, `]}]},"`+FunctionDimension+`":`...)
		b = appendString(b, w.function)
		if dimName != "" {
			b = append(b, ',')
			b = appendString(b, dimName)
			b = append(b, ':')
			b = appendString(b, dim)
		}
		b = append(b, vals...)
		b = append(b, "}\n"...)
		_, _ = w.w.Write(b)
		w.buf, w.vals = b, vals
	}
}

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced (strconv.Quote's \x escapes are
// not JSON).
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// Directive is an EMF line's metadata as CloudWatch reads it (`_aws`): for
// the readers of the lines (the local cloud's /_local/metrics, tests).
type Directive struct {
	AWS struct {
		Timestamp         int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
}
