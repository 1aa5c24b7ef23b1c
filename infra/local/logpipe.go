package local

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// logPipe carries one function instance's output (its emulator's and its
// bootstrap's stdout and stderr: one OS pipe, which the bootstrap writes
// straight into) to its function's log file and the metric store. A line
// the bootstrap wrote before it answered an invocation is in the pipe before
// the answer leaves the instance; flush writes a marker behind it and waits
// until the reader has reached the marker, so the host records an invocation
// (and passes its answer on) only once the lines it logged have landed: a
// caller who has the answer finds them in /_local/logs and /_local/metrics,
// with no sleep "to let the pipe catch up".
type logPipe struct {
	w *os.File // the write end: the instance's stdout and stderr, and flush's markers

	wmu     sync.Mutex // one marker written at a time, in order
	mu      sync.Mutex
	cond    *sync.Cond
	sent    uint64 // markers written
	landed  uint64 // markers the reader has reached
	stopped bool   // the reader has ended (the instance and every copy of the write end are gone)
	waiting int    // flushes waiting for their marker (for the tests)
	once    sync.Once
}

// flushMarker starts the line flush writes into an instance's output; it
// is never written to the log.
const flushMarker = "\x00kiosk-local-flush "

// pipe makes an instance's output pipe for fn: what is written to its write
// end goes to <dir>/<fn>.log, to the metric store, and (error-level lines)
// to the console.
func (l *logSink) pipe(fn string) (*logPipe, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p := &logPipe{w: w}
	p.cond = sync.NewCond(&p.mu)
	go func() {
		l.copyLines(fn, r, p.reached)
		r.Close()
		p.mu.Lock()
		p.stopped = true
		p.cond.Broadcast()
		p.mu.Unlock()
	}()
	return p, nil
}

func (p *logPipe) reached(n uint64) {
	p.mu.Lock()
	p.landed = max(p.landed, n)
	p.cond.Broadcast()
	p.mu.Unlock()
}

// close closes the host's write end once the instance has exited: the
// reader then ends with the last line.
func (p *logPipe) close() { p.once.Do(func() { p.w.Close() }) }

// flush waits until everything written to the pipe before it has landed, and
// reports whether it has. It gives up when the reader has ended or after
// limit, a guard against a reader that cannot go on (never expected: it
// reads every line, however long).
func (p *logPipe) flush(limit time.Duration) bool {
	p.wmu.Lock()
	p.mu.Lock()
	p.sent++
	n := p.sent
	p.mu.Unlock()
	_, err := fmt.Fprintf(p.w, "%s%d\n", flushMarker, n) // one write of a few bytes: never split, never interleaved
	p.wmu.Unlock()
	if err != nil {
		return false
	}
	expired := false
	t := time.AfterFunc(limit, func() {
		p.mu.Lock()
		expired = true
		p.cond.Broadcast()
		p.mu.Unlock()
	})
	defer t.Stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.waiting++
	defer func() { p.waiting-- }()
	for p.landed < n && !p.stopped && !expired {
		p.cond.Wait()
	}
	return p.landed >= n
}

// writer returns a writer whose lines go where an instance's output goes
// (for dynalite's output, which nothing waits on).
func (l *logSink) writer(fn string) io.WriteCloser {
	pr, pw := io.Pipe()
	go func() {
		l.copyLines(fn, pr, func(uint64) {})
		pr.Close()
	}()
	return pw
}

// maxLine is the longest line kept; the rest of a longer one is dropped (the
// reader goes on, so the writer never blocks on a full pipe).
const maxLine = 1 << 20

// copyLines appends each line of r to <dir>/<fn>.log, hands it to the metric
// store and echoes error-level lines to the console, until r ends; a flush
// marker is not a line: marker is called with its number.
func (l *logSink) copyLines(fn string, r io.Reader, marker func(uint64)) {
	f, err := os.OpenFile(filepath.Join(l.dir, fn+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		f = nil
	}
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	handle := func(line string) {
		if f != nil {
			fmt.Fprintln(f, line)
		}
		l.emf.line(line)
		if strings.Contains(line, `"level":"ERROR"`) || strings.Contains(line, "panic") || strings.HasPrefix(line, "{\"errorMessage") {
			l.console("%-18s | %s", fn, truncate([]byte(line), 300))
		}
	}
	br := bufio.NewReaderSize(r, 64*1024)
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long) < maxLine {
				long = append(long, chunk[:min(len(chunk), maxLine-len(long))]...)
			}
			continue
		}
		if len(chunk) > 0 || len(long) > 0 {
			b := chunk
			if len(long) > 0 {
				if len(long) < maxLine {
					long = append(long, chunk[:min(len(chunk), maxLine-len(long))]...)
				}
				b, long = long, nil
			}
			b = bytes.TrimRight(b, "\r\n")
			line := string(b)
			if i := strings.Index(line, flushMarker); i >= 0 {
				// A line the instance left unfinished before it answered
				// ends where the marker begins.
				if i > 0 {
					handle(line[:i])
				}
				if n, perr := strconv.ParseUint(line[i+len(flushMarker):], 10, 64); perr == nil {
					marker(n)
				}
			} else if err == nil || len(line) > 0 {
				handle(line)
			}
		}
		if err != nil {
			return
		}
	}
}
