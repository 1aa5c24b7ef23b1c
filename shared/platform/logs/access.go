package logs

import (
	"context"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Request is one access-log line: what httpapi logs once per request.
type Request struct {
	Route, Method, Path string
	Status              int
	Duration            time.Duration
	DynamoDBCalls       int
	EventBridgeCalls    int
	RequestID           string
}

// function is the name Setup was given; the access line carries it as the
// slog lines do.
var function string

// accessOut is where access lines go when set (tests); else os.Stdout, as
// the slog lines.
var accessOut io.Writer

var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Access writes r as one JSON line, the same bytes slog's JSON handler (as
// Setup installs it) writes for
//
//	slog.InfoContext(ctx, "request", "route", …, "method", …, "path", …, "status", …,
//		"duration_ms", …, "dynamodb_calls", …, "eventbridge_calls", …, "request_id", …)
//
// — same keys, same order, same escaping, the trace id last — but without
// slog's attribute boxing, its json.Marshal of the float and a buffer per
// line: it runs on every request (an alloc-free append into a pooled buffer
// and one write).
func Access(ctx context.Context, r Request) {
	bp := lineBufs.Get().(*[]byte)
	b := appendAccess((*bp)[:0], time.Now(), function, TraceID(ctx), r)
	if accessOut != nil {
		_, _ = accessOut.Write(b)
	} else {
		_, _ = os.Stdout.Write(b)
	}
	if cap(b) <= 4<<10 { // a huge hostile path is not kept
		*bp = b
		lineBufs.Put(bp)
	}
}

func appendAccess(b []byte, now time.Time, fn, trace string, r Request) []byte {
	b = append(b, `{"time":"`...)
	b = now.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"INFO","msg":"request"`...)
	if fn != "" {
		b = appendString(append(b, `,"function":`...), fn)
	}
	b = appendString(append(b, `,"route":`...), r.Route)
	b = appendString(append(b, `,"method":`...), r.Method)
	b = appendString(append(b, `,"path":`...), r.Path)
	b = strconv.AppendInt(append(b, `,"status":`...), int64(r.Status), 10)
	// float64(µs)/1000 as slog (json.Marshal) writes it: 'f' formatting is the
	// same as JSON's for every value from 1e-6 to 1e21.
	b = strconv.AppendFloat(append(b, `,"duration_ms":`...), float64(r.Duration.Microseconds())/1000, 'f', -1, 64)
	b = strconv.AppendInt(append(b, `,"dynamodb_calls":`...), int64(r.DynamoDBCalls), 10)
	b = strconv.AppendInt(append(b, `,"eventbridge_calls":`...), int64(r.EventBridgeCalls), 10)
	b = appendString(append(b, `,"request_id":`...), r.RequestID)
	if trace != "" {
		b = appendString(append(b, `,"trace":`...), trace)
	}
	return append(b, "}\n"...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string escaped as slog's JSON handler
// escapes it: quotes, backslashes and control characters; invalid UTF-8 as
// U+FFFD; U+2028 and U+2029.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			b = append(append(b, s[start:i]...), `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			b = append(append(b, s[start:i]...), `\u202`...)
			b = append(b, hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
