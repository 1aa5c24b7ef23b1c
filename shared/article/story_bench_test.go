package article

import (
	"fmt"
	"hash/fnv"
	"math/bits"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"os"
)

// benchPool is every headline of clustereval's sets (read from its files: a
// test of package article cannot import it) as articles, in set order.
func benchPool(b *testing.B) []Article {
	b.Helper()
	var out []Article
	at := t0
	for _, file := range []string{"clustereval/headlines.txt", "clustereval/fresh.txt"} {
		text, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		for i, line := range strings.Split(string(text), "\n") {
			f := strings.SplitN(line, " | ", 4)
			if len(f) != 4 || strings.HasPrefix(line, "#") {
				continue
			}
			at = at.Add(time.Minute)
			id := fmt.Sprintf("%s-%d", file, i)
			out = append(out, Article{ID: id, Story: id, Title: f[3], PublishedAt: at, Fingerprint: oldFingerprint(f[3])})
		}
	}
	return out
}

// BenchmarkStoryDecision compares the story decision per pair of articles
// with the SimHash distance it replaced: each iteration assigns every
// headline of clustereval's sets (about 500, so 120 000 comparisons) against
// the ones before it, with each title's key computed beforehand (ingestion
// computes it once per article and run), and reports ns per comparison; "key"
// is the cost of one title's key. The headlines are far more alike than a
// real pool's, so more pairs pass the pre-filter than in ingestion.
// Reproduce: go test -run '^$' -bench StoryDecision ./shared/article
func BenchmarkStoryDecision(b *testing.B) {
	pool := benchPool(b)
	pairs := float64(len(pool) * (len(pool) - 1) / 2)
	keys := make([]titleKey, len(pool))
	for i, a := range pool {
		keys[i] = keyOf(a.Title)
	}
	b.Run("simhash (before)", func(b *testing.B) {
		for b.Loop() {
			var seen []Article
			for _, a := range pool {
				if story, ok := oldStoryOf(a, seen, 48*time.Hour); ok {
					a.Story = story
				}
				seen = append(seen, a)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/pairs, "ns/comparison")
	})
	b.Run("title words (now)", func(b *testing.B) {
		for b.Loop() {
			s := NewStories(nil, 48*time.Hour)
			for i, a := range pool {
				s.assign(a, keys[i])
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/pairs, "ns/comparison")
	})
	b.Run("key", func(b *testing.B) {
		for b.Loop() {
			for _, a := range pool {
				keyOf(a.Title)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(pool)), "ns/key")
	})
}

// The decision before issue 27, kept here as the benchmark's baseline.

func oldStoryOf(a Article, pool []Article, window time.Duration) (string, bool) {
	for _, p := range pool {
		if p.ID == a.ID {
			continue
		}
		gap := a.PublishedAt.Sub(p.PublishedAt)
		if gap < 0 {
			gap = -gap
		}
		if gap <= window && a.Fingerprint != 0 && p.Fingerprint != 0 && bits.OnesCount64(a.Fingerprint^p.Fingerprint) <= 12 {
			return p.Story, true
		}
	}
	return "", false
}

var oldStopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an the and or but of in on at to for from by with as is are was were be been
		its it this that these those after before over under into about than then new says said will has have had
		not no up out his her their our your my we you they he she who what when where why how de la le el en y`) {
		oldStopWords[w] = true
	}
}

func oldFingerprint(title string) uint64 {
	var v [64]int
	words := strings.FieldsFunc(strings.ToLower(title), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	n := 0
	for _, w := range words {
		if oldStopWords[w] || utf8.RuneCountInString(w) < 2 {
			continue
		}
		n++
		for _, suf := range []string{"ing", "ed", "es", "s"} {
			if len(w) > len(suf)+3 && strings.HasSuffix(w, suf) {
				w = strings.TrimSuffix(w, suf)
				break
			}
		}
		h := fnv.New64a()
		h.Write([]byte(w))
		x := h.Sum64()
		for i := range 64 {
			if x&(1<<i) != 0 {
				v[i]++
			} else {
				v[i]--
			}
		}
	}
	if n == 0 {
		return 0
	}
	var out uint64
	for i := range 64 {
		if v[i] > 0 {
			out |= 1 << i
		}
	}
	return out
}
