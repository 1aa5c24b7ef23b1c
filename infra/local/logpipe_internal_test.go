package local

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAnInstancesLinesLandBeforeItsInvocationIsRecorded forces the
// interleaving that made log and metric reads racy: the line a function
// wrote before answering is in its pipe, but the reader has not handled it
// yet (here: held at the metric store, which it takes for every line). The
// host's flush must not return until the line is in the log file and the
// metric store; it used to be a sleep ("let the log pipe catch up"), and a
// caller holding the answer could miss the line on a loaded machine.
func TestAnInstancesLinesLandBeforeItsInvocationIsRecorded(t *testing.T) {
	l := &logSink{dir: t.TempDir(), out: io.Discard}
	p, err := l.pipe("fn")
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	const emf = `{"_aws":{"Timestamp":1764547200000,"CloudWatchMetrics":[{"Namespace":"Kiosk","Dimensions":[["function"]],` +
		`"Metrics":[{"Name":"Landed","Unit":"Count"}]}]},"function":"fn","Landed":1}`
	// The reader stops at the first line it hands to the metric store; the
	// function's line is written, as before its answer.
	l.emf.mu.Lock()
	if _, err := fmt.Fprintln(p.w, emf); err != nil {
		t.Fatal(err)
	}
	done := make(chan bool, 1)
	go func() { done <- p.flush(time.Minute) }()
	// Either flush returns while the line cannot have landed (the failure),
	// or it waits for its marker: a condition, polled a bounded number of
	// times, not a wait for time.
	waiting := false
	for tries := 0; tries < 1_000_000 && !waiting; tries++ {
		select {
		case <-done:
			landed := l.emf.series != nil
			l.emf.mu.Unlock()
			t.Fatalf("flush returned before the function's line reached the metric store (landed: %v)", landed)
		default:
		}
		p.mu.Lock()
		waiting = p.waiting > 0
		p.mu.Unlock()
		if !waiting {
			time.Sleep(10 * time.Microsecond)
		}
	}
	l.emf.mu.Unlock()
	if !waiting {
		t.Fatal("flush neither returned nor waited")
	}
	if !<-done {
		t.Fatal("flush gave up")
	}
	// Landed: in the metric store and the log file, the marker in neither.
	if got := metricCount(l, "Landed"); got != 1 {
		t.Errorf("the metric store has %d values of Landed, want 1", got)
	}
	b, err := os.ReadFile(filepath.Join(l.dir, "fn.log"))
	if err != nil || string(b) != emf+"\n" {
		t.Errorf("the log file holds %q (%v), want the function's line alone", b, err)
	}
}

// TestAnUnfinishedLineAndAnOverlongOneDoNotStopTheLog: a line the function
// left without its newline ends where flush's marker begins, and a line
// past the longest kept is cut, not the end of the log: the lines after it
// land, and flush still returns.
func TestAnUnfinishedLineAndAnOverlongOneDoNotStopTheLog(t *testing.T) {
	l := &logSink{dir: t.TempDir(), out: io.Discard}
	p, err := l.pipe("fn")
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	// Written as the function writes, straight into the pipe (the reader
	// drains it meanwhile, so a write past the pipe's buffer goes through).
	if _, err := io.WriteString(p.w, "unfinished"); err != nil {
		t.Fatal(err)
	}
	if !p.flush(time.Minute) {
		t.Fatal("flush gave up after an unfinished line")
	}
	if _, err := io.WriteString(p.w, strings.Repeat("x", maxLine+5000)+"\nafter\n"); err != nil {
		t.Fatal(err)
	}
	if !p.flush(time.Minute) {
		t.Fatal("flush gave up after an overlong line")
	}
	lines := strings.Split(strings.TrimSuffix(readLog(t, l), "\n"), "\n")
	if len(lines) != 3 || lines[0] != "unfinished" || len(lines[1]) != maxLine || lines[2] != "after" {
		t.Errorf("the log holds %d lines (%.20q, %d bytes, %.20q), want the unfinished line, the long one cut to %d bytes, and the next",
			len(lines), lines[0], len(lines[min(1, len(lines)-1)]), lines[len(lines)-1], maxLine)
	}
}

func readLog(t *testing.T, l *logSink) string {
	t.Helper()
	b, _ := os.ReadFile(filepath.Join(l.dir, "fn.log"))
	return string(b)
}

func metricCount(l *logSink, name string) int {
	l.emf.mu.Lock()
	defer l.emf.mu.Unlock()
	n := 0
	for _, s := range l.emf.series {
		if s.Name == name {
			n += s.Count
		}
	}
	return n
}
