package local_test

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/infra/local"
	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// reliabilityFigures are what the corpus and the authorization matrix
// measured, when they ran before the load in this process (make reliability
// runs all three), for the report.
type reliabilityFigures struct {
	CorpusInputs, CorpusRoutes, CorpusServerErrors, CorpusTablesChanged int
	MatrixRoutes, MatrixCallers, MatrixChecks                           int
}

type figureBoard struct {
	mu sync.Mutex
	f  reliabilityFigures
}

var figures figureBoard

func (b *figureBoard) set(f func(*reliabilityFigures)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f(&b.f)
}

func (b *figureBoard) get() reliabilityFigures {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.f
}

// reliabilityDuration is how long the load runs: 15 s in make test,
// KIOSK_RELIABILITY_DURATION (make reliability: 3m) otherwise.
func reliabilityDuration(t *testing.T) time.Duration {
	d := 15 * time.Second
	if v := os.Getenv("KIOSK_RELIABILITY_DURATION"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil || d < 5*time.Second || d > 15*time.Minute {
			t.Fatalf("KIOSK_RELIABILITY_DURATION=%q: want a duration of 5s-15m", v)
		}
	}
	return d
}

// TestNothingIsLostUnderFaults is a bounded mixed load with faults on, for
// reliabilityDuration: app clients post event batches (retrying each, with the
// same event ids, on 503, 429 and a crashed instance's 500, as the contract
// tells them to) and read the public and personal feeds, while an operator
// runs ingestion (of a generated feed registered at the start), the
// announcer, ranking and the KPI batch, and DynamoDB throttles, fails,
// answers slowly and loses the responses of applied writes, EventBridge fails
// PutEvents and function instances are killed mid-invocation. Midway a burst
// of kills drives deliveries into dead letters, which the operator redrives
// through the admin console while the load goes on, and again once it is
// over. Hostile clients are mixed in (hostile_test.go: events up to 6 d 23 h
// late, batches of 500 random article ids, a heavy reader, one install's
// burst of clicks). Then, faults off: the KPI batch must count every accepted
// event exactly once, in every hour and day it fell in (zero lost, zero
// double-counted), the random ids in the one unknown bucket; the burst must
// make nothing trending; every article of the
// generated feed must be stored once and ranked into its feed; no dead letter
// of the run may be left; no response may be a 5xx other than a 503 with
// Retry-After or a killed instance's 500; and, on runs of a minute or more,
// the local cloud's memory must be flat. It writes
// build/reliability/RELIABILITY.md (`make reliability` copies it to the root).
func TestNothingIsLostUnderFaults(t *testing.T) {
	duration := reliabilityDuration(t)
	const clients, perBatch, feedItems = 4, 10, 40
	run := fmt.Sprintf("%x", time.Now().UnixNano()&0xffffffffff)
	article := catalogueArticle(t, "reliability") // ids outside the catalogue count in one bucket
	eventTime := time.Now().UTC()
	at := eventTime.Format(time.RFC3339)
	hostile := newHostileClients(t, run, article, eventTime)
	before := deadLetterIDs(t)
	idleBefore := quiesce(t)

	// The generated feed the operator's ingestion runs will take in, under faults.
	source := "load-" + run
	if status, body := admin(t, "POST", "/admin/api/sources", cloud.AdminToken(), "application/json", fmt.Sprintf(
		`{"id":%q,"name":"Load %s","category":"load","weight":1,"url":%q}`, source, run, cloud.APIURL+"/_local/feeds/"+source+"?items="+strconv.Itoa(feedItems))); status != 201 {
		t.Fatalf("register the generated feed: %d %s", status, body)
	}

	console := signIn(t)
	base := local.Faults{DynamoThrottle: 0.15, DynamoError: 0.05, DynamoDrop: 0.05, DynamoLatencyMS: 2, BusError: 0.1, KillInvocation: 0.05}
	burst := base
	burst.KillInvocation, burst.BusError = 0.5, 0.3
	// SetFaults returns the counts injected since the cloud started: the
	// load's are what they grew by from here.
	soFar := cloud.SetFaults(base)
	defer cloud.SetFaults(local.Faults{})
	start := time.Now()
	loadEnd := start.Add(duration)
	hardStop := loadEnd.Add(90 * time.Second) // in-flight retries must finish by then

	var mu sync.Mutex
	statuses := map[int]int{}
	var bad []string
	sent, attempts, batches, reads, crashed, limited := 0, 0, 0, 0, 0, 0
	injected := local.FaultCounts{}
	addCounts := func(c local.FaultCounts) { // c: SetFaults' counts so far
		mu.Lock()
		defer mu.Unlock()
		injected.DynamoCalls += c.DynamoCalls - soFar.DynamoCalls
		injected.DynamoThrottle += c.DynamoThrottle - soFar.DynamoThrottle
		injected.DynamoError += c.DynamoError - soFar.DynamoError
		injected.DynamoDrop += c.DynamoDrop - soFar.DynamoDrop
		injected.BusCalls += c.BusCalls - soFar.BusCalls
		injected.BusError += c.BusError - soFar.BusError
		injected.Invocations += c.Invocations - soFar.Invocations
		injected.Killed += c.Killed - soFar.Killed
		soFar = c
	}
	record := func(status int, retryAfter, body string) {
		mu.Lock()
		defer mu.Unlock()
		statuses[status]++
		switch {
		case status == 500 && strings.Contains(body, `"code":"internal"`):
			crashed++ // a killed instance: API Gateway answers 500 too; checked against the kills below
		case status == 429:
			limited++
		case status >= 500 && (status != 503 || retryAfter == ""):
			bad = append(bad, fmt.Sprintf("%d %s", status, body))
		}
	}
	failf := func(format string, args ...any) {
		mu.Lock()
		bad = append(bad, fmt.Sprintf(format, args...))
		mu.Unlock()
	}

	// deliver posts a batch until it is accepted, retrying as the contract
	// says (503, 429, a killed instance's 500) with the same event ids, at
	// most tries times and until the deadline.
	deliver := func(token string, evs []map[string]any, tries int, until time.Time) bool {
		body, _ := json.Marshal(map[string]any{"events": evs})
		for try := 0; try < tries && time.Now().Before(until); try++ {
			status, out, h := call(t, "POST", "/v1/events", token, string(body))
			record(status, h.Get("Retry-After"), string(out))
			if status == 202 {
				return true
			}
			time.Sleep(retryDelay(h))
		}
		return false
	}

	var wg sync.WaitGroup
	// Hostile clients (late, random ids, a heavy reader, a burst), their
	// batches spread over the load.
	hostile.start(&wg, start, duration, func(token string, evs []map[string]any, tries int) bool {
		return deliver(token, evs, tries, hardStop)
	})
	// App clients. A client switches to a new install every 40 batches, so no
	// user nears the per-user limit (120 batches a minute).
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var user registration
			for b := 0; time.Now().Before(loadEnd); b++ {
				if b%40 == 0 {
					user = registerUnderFaults(t, record, hardStop)
					if user.Token == "" {
						failf("client %d could not register", c)
						return
					}
				}
				var evs []map[string]any
				for i := range perBatch {
					typ := []string{"impression", "impression", "click"}[i%3]
					evs = append(evs, map[string]any{"id": fmt.Sprintf("rel-%s-%d-%d-%d", run, c, b, i), "type": typ, "article_id": article, "at": at})
				}
				body, _ := json.Marshal(map[string]any{"events": evs})
				for try := 0; ; try++ {
					if time.Now().After(hardStop) || try == 40 {
						failf("client %d batch %d never accepted", c, b)
						break
					}
					status, out, h := call(t, "POST", "/v1/events", user.Token, string(body))
					mu.Lock()
					attempts++
					mu.Unlock()
					record(status, h.Get("Retry-After"), string(out))
					if status == 202 {
						mu.Lock()
						sent += perBatch
						batches++
						mu.Unlock()
						break
					}
					time.Sleep(retryDelay(h))
				}
				// A reader alongside: the public feed, then the user's own.
				path, tok := "/v1/feed?category=top&limit=10", ""
				if b%2 == 1 {
					path, tok = "/v1/feed/me?limit=10", user.Token
				}
				status, out, h := call(t, "GET", path, tok, "")
				record(status, h.Get("Retry-After"), string(out))
				mu.Lock()
				reads++
				mu.Unlock()
				time.Sleep(150 * time.Millisecond)
			}
		}()
	}

	// The operator: batches every few seconds, a burst of kills midway, dead
	// letters redriven through the console while the load goes on.
	runs := map[string][2]int{} // function → ok, failed
	var redrivenUnderLoad, redrivenAfter atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		burstAt, burstEnd, redriveAt := start.Add(duration*2/5), start.Add(duration*11/20), start.Add(duration*7/10)
		bursting, redriven := false, false
		for time.Now().Before(loadEnd) {
			now := time.Now()
			switch {
			case !bursting && now.After(burstAt) && now.Before(burstEnd):
				bursting = true
				addCounts(cloud.SetFaults(burst))
			case bursting && now.After(burstEnd):
				bursting = false
				addCounts(cloud.SetFaults(base))
			case !redriven && now.After(redriveAt):
				redriven = true
				hostile.watch(t)
				redrivenUnderLoad.Add(int64(redriveNew(t, console, before, 3)))
			}
			for _, fn := range []string{"ingest-feeds", "announce-articles", "rank-feeds", "aggregate-kpi"} {
				status, out, _ := call(t, "POST", "/_local/schedules/"+fn+"/run", "", "")
				ok := status == 200 && strings.Contains(string(out), `"status":"ok"`)
				mu.Lock()
				r := runs[fn]
				if ok {
					r[0]++
				} else {
					r[1]++
				}
				runs[fn] = r
				mu.Unlock()
			}
			time.Sleep(2 * time.Second)
		}
	}()

	// Memory, sampled through the run and a little after.
	var samples []sample
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		every := max(time.Second, duration/30)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			samples = append(samples, sample{At: time.Since(start), Footprint: cloud.Footprint()})
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
		}
	}()
	wg.Wait()
	took := time.Since(start)
	close(stopSampling)
	<-sampled
	// The goroutines at the end of the load, grouped by stack, for whoever
	// needs to find out what grew.
	if err := os.MkdirAll(filepath.Join(root, "build", "reliability"), 0o755); err == nil {
		if f, err := os.Create(filepath.Join(root, "build", "reliability", "goroutines.txt")); err == nil {
			_ = pprof.Lookup("goroutine").WriteTo(f, 1)
			f.Close()
		}
	}
	addCounts(cloud.SetFaults(local.Faults{}))
	// The hostile clients' batches not accepted under faults, retried (same
	// ids) now that the service has recovered, as their apps would.
	for _, n := range hostile.flush(func(token string, evs []map[string]any) bool {
		return deliver(token, evs, 40, time.Now().Add(60*time.Second))
	}) {
		failf("a hostile client's batch of %d was never accepted", n)
	}

	// Faults off: redrive what is left, then everything must add up.
	var leftover []string
	for round := 0; round < 10; round++ {
		time.Sleep(2 * time.Second) // let retries in flight end in success or a dead letter
		hostile.watch(t)
		n := redriveNew(t, console, before, 3)
		redrivenAfter.Add(int64(n))
		if leftover = newDeadLetters(t, before); len(leftover) == 0 {
			break
		}
	}
	if len(leftover) > 0 {
		t.Errorf("dead letters of the run left after redriving: %v", leftover)
	}
	// A dead letter caused by a client's input would fail again when redriven
	// with the faults off: none naming a hostile install may be left.
	hostileLeft := hostile.lettersLeft(t)
	if len(hostileLeft) > 0 {
		t.Errorf("dead letters from the hostile clients' input: %v", hostileLeft)
	}
	var counted kpiRow
	ps := hostile.periods(sent)
	var unknown kpiRow
	// Only the scheduled coordinator: the marks of the accepted batches must
	// bring every period up to date, the late ones too.
	eventuallyLong(t, "the KPI batch to count the events", 60*time.Second, func() { runKPI(t, "") }, func() bool {
		counted = kpi(t, "hour", "article", eventTime)[article]
		hostile.count(t, ps)
		unknown = hostile.unknown(t)
		for _, p := range ps {
			if p.Counted < p.Accepted {
				return false
			}
		}
		return counted.Impressions+counted.Clicks >= int64(sent) && unknown.Clicks >= int64(hostile.randomClicks) && unknown.Reads >= int64(hostile.heavyReads) &&
			kpi(t, "day", "article", eventTime)[hostile.burstArticle].Clicks >= int64(hostile.burstClicks)
	})
	total := counted.Impressions + counted.Clicks
	lost, double := max(0, int64(sent)-total), max(0, total-int64(sent))
	for _, p := range ps {
		if p.Counted != p.Accepted {
			t.Errorf("the %s of events %s: %d accepted, %d counted", p.Granularity, p.Name, p.Accepted, p.Counted)
		}
	}
	if unknown.Clicks != int64(hostile.randomClicks) || unknown.Reads != int64(hostile.heavyReads) {
		t.Errorf("the unknown bucket of the random ids' hour = %+v; want %d clicks and %d reads", unknown, hostile.randomClicks, hostile.heavyReads)
	}
	burstRow := kpi(t, "day", "article", eventTime)[hostile.burstArticle]
	if burstRow.Clicks != int64(hostile.burstClicks) || burstRow.Clickers != 1 || burstRow.Viewers != 0 {
		t.Errorf("the burst's article today = %+v; want %d clicks from one clicker, no viewer", burstRow, hostile.burstClicks)
	}
	runKPI(t, "") // the coordinator's trending check over what the last run stored
	runKPI(t, "")
	burstTrending, burstInbox := hostile.trending(t)
	if burstTrending || burstInbox {
		t.Errorf("one install's %d clicks: trending %v, in a fan's inbox %v; want neither", hostile.burstClicks, burstTrending, burstInbox)
	}

	// parse-feed's instance killed under the generated feed's document twice
	// in a row (a crash is invoked once more; once, with less than
	// parse-feed's timeout left in the run) charges the source as a document
	// that crashes the parser: backed off 15 minutes or more, which this test
	// does not wait out. A DynamoDB or EventBridge failure is the run's,
	// never the source's: a source the load left charged must have been
	// charged last by parse-feed (the last error of its streak is what the
	// source keeps). The operator ends the incident as in AWS: Fetch on the
	// next run.
	charged, chargedBy := refetchIfCharged(t, source)
	var stored, ranked int
	eventuallyLong(t, "the generated feed stored and ranked", 60*time.Second, func() {
		runNow(t, "ingest-feeds")
		runNow(t, "announce-articles")
		runNow(t, "rank-feeds")
	}, func() bool {
		stored, ranked = countSource(t, "/v1/articles?category=load&limit=50", source), countSource(t, "/v1/feed?category=load&limit=50", source)
		return stored >= feedItems && ranked >= feedItems
	})
	if stored != feedItems || ranked != feedItems {
		t.Errorf("generated feed of %d: %d stored, %d ranked", feedItems, stored, ranked)
	}
	for _, b := range bad {
		t.Error(b)
	}
	if crashed > injected.Killed {
		t.Errorf("%d responses were 500 but only %d instances were killed", crashed, injected.Killed)
	}
	if lost != 0 || double != 0 {
		t.Errorf("sent %d, counted %d: lost %d, double-counted %d", sent, total, lost, double)
	}
	idleAfter := quiesce(t)
	flat := memoryVerdict(samples, idleBefore, idleAfter)
	if duration >= time.Minute && !flat.ok {
		t.Errorf("the local cloud's memory is not flat: %s", flat.why)
	}
	if injected.DynamoThrottle+injected.DynamoError+injected.DynamoDrop == 0 || injected.BusError == 0 || injected.Killed == 0 {
		t.Errorf("no faults were injected: %+v", injected)
	}

	var codes []string
	for s, n := range statuses {
		codes = append(codes, fmt.Sprintf("%d × %d", n, s))
	}
	sort.Strings(codes)
	var runLines []string
	for _, fn := range []string{"ingest-feeds", "announce-articles", "rank-feeds", "aggregate-kpi"} {
		runLines = append(runLines, fmt.Sprintf("| %s | %d | %d |", fn, runs[fn][0], runs[fn][1]))
	}
	var memLines []string
	for i, s := range samples {
		if i%max(1, len(samples)/12) != 0 && i != len(samples)-1 {
			continue
		}
		memLines = append(memLines, fmt.Sprintf("| %.0f s | %.1f | %d | %.0f | %.0f | %d | %s |", s.At.Seconds(), s.HeapMiB, s.Goroutines, s.DynaliteMiB, s.FunctionsMiB, s.Instances, queuedText(s.Queued)))
	}
	verdict := flat.why
	if duration < time.Minute {
		verdict += " (reported only: a run under a minute is too short to judge; `make reliability` runs 3 minutes and checks it)"
	}
	fig := figures.get()
	checked := "not run in this process (`make reliability` runs it; so does `make test`)"
	corpus, matrix := checked, checked
	if fig.CorpusInputs > 0 {
		corpus = fmt.Sprintf("%d hostile inputs over every API route (the %d paths of openapi.json), each also one byte past its body cap: %d server errors, %d table items changed", fig.CorpusInputs, fig.CorpusRoutes, fig.CorpusServerErrors, fig.CorpusTablesChanged)
	}
	if fig.MatrixChecks > 0 {
		matrix = fmt.Sprintf("%d routes × %d callers (no token, user, another user, admin, expired, tampered, a signed token claiming admin) = %d checks, each the status its auth mode allows", fig.MatrixRoutes, fig.MatrixCallers, fig.MatrixChecks)
	}
	dup := "off (KIOSK_TEST_DUPLICATES=on turns it on; `make reliability` does)"
	if n := cloud.Duplicated(); n > 0 {
		dup = fmt.Sprintf("on: %d bus deliveries were sent twice, the copy 50-300 ms late, so out of order", n)
	}
	exact := 0
	var periodLines []string
	for _, p := range ps {
		if p.Counted == p.Accepted {
			exact++
		}
		periodLines = append(periodLines, fmt.Sprintf("| %s | %s (%s) | %d | %d |", p.Name, p.Granularity, p.At.UTC().Format("2006-01-02 15:00"), p.Accepted, p.Counted))
	}
	yesNo := map[bool]string{true: "yes", false: "no"}
	hostileRows := fmt.Sprintf(`| hostile clients mixed into the load ([below](#hostile-clients)) | late: %d events 26 h, 50 h and 6 d 23 h old; random ids: %d clicks; heavy reader: %d reads; burst: %d clicks from one install |
| **accepted = counted per period, late events included** (hour and day) | **%d of %d periods exact** |
| unknown ids: accepted / counted in the one unknown bucket | %d / %d |
| **dead letters from client input** (left after redriving with faults off) | **%d** (deliveries of hostile clients' events dead-lettered by injected faults: %d, each redriven and processed) |
| one install's burst: trending / in a fan's inbox | %s / %s |
| admin console hostile inputs (what `+"`make test`"+` runs) | FuzzConsoleHandlers: 26 seed requests over the 19 console routes, then 1000 fuzz runs (`+"`go test -run '^$' -fuzz FuzzConsoleHandlers -fuzztime 1000x -parallel 1 ./functions/admin-console`"+`); 62 hostile values in the console's hostile-input tests (`+"`go test ./functions/admin-console`"+`) |`,
		len(lateOffsets)*7, hostile.randomClicks, hostile.heavyReads, hostile.burstClicks, exact, len(ps),
		hostile.randomClicks+hostile.heavyReads, unknown.Clicks+unknown.Reads, len(hostileLeft), len(hostile.faultLetters),
		yesNo[burstTrending], yesNo[burstInbox])
	hostileSection := fmt.Sprintf(`## Hostile clients

Mixed into the load, under the same faults, each retrying as the app clients do: a **late** client posting,
for the load's article, 5 impressions and 2 clicks 26 h, 50 h and 6 d 23 h old (the API accepts 7 days); a
**random-ids** client posting %d batches of 500 clicks on random 32-hex article ids; a **heavy reader** posting
%d batches of 500 reads of random ids (both %d h before the load, an hour of their own); one **burst** install
posting %d batches of %d clicks without impressions on an article whose category a fan follows. Only the
scheduled KPI coordinator ran after the load (it recomputes every period an accepted batch marked).

| events | period | accepted | counted |
|---|---|---:|---:|
%s

| check | result |
|---|---|
| random ids: clicks / reads accepted → counted in the hour's one unknown bucket | %d / %d → %d / %d |
| burst article today: clicks / distinct clickers / viewers | %d / %d / %d |
| burst article marked trending / in the fan's inbox | %s / %s |
| dead letters naming a hostile install: seen before a redrive (injected faults) / **left after redriving with faults off** | %d / **%d** |
| hostile batches accepted under the faults (at most %d tries each) / only once the faults were off (same ids) | %d / %d |

A dead letter caused by a client's input (an item grown past 400 KB, say) fails again when redriven with the
faults off; none is left, so none of the hostile clients' dead letters came from their input. A batch of 500
events is 500 conditional puts, and a retry repeats them all (the stored ones answer "duplicate"), so under
these fault rates (about a quarter of DynamoDB calls) a full batch seldom gets through in one call: what a
failed try stored is counted all the same, and the rest is accepted when the client retries after the faults.`,
		randomBatches, heavyBatches, strangeHour/time.Hour, burstBatches, burstPerBatch, strings.Join(periodLines, "\n"),
		hostile.randomClicks, hostile.heavyReads, unknown.Clicks, unknown.Reads,
		burstRow.Clicks, burstRow.Clickers, burstRow.Viewers, yesNo[burstTrending], yesNo[burstInbox],
		len(hostile.faultLetters), len(hostileLeft), underFaultTries,
		len(lateOffsets)+randomBatches+heavyBatches+burstBatches-hostile.recovered, hostile.recovered)
	report := fmt.Sprintf(`# Kiosk reliability report

Run %s on %s/%s, %d CPUs, %s, load for %s. Reproduce: `+"`make reliability`"+` (`+"`KIOSK_TEST_DUPLICATES=on KIOSK_RELIABILITY_DURATION=3m go test -count=1 -run 'TestAuthorizationMatrix|TestBadInputCorpus|TestNothingIsLostUnderFaults' -v ./infra/local`"+`); `+"`make test`"+` runs the same tests, the load for 15 s.

## In short

| check | result |
|---|---|
| bad-input corpus | %s |
| authorization matrix | %s |
| duplicate and out-of-order delivery during the load | %s |
| faults injected during the load | %d DynamoDB, %d EventBridge, %d killed instances (tables below) |
| events accepted / counted / **lost** / **double-counted** | %d / %d / **%d** / **%d** |
| generated-feed stories ingested under faults / stored once / ranked | %d / %d / %d |
| dead letters redriven / **left** | %d / **%d** |
%s
| local cloud memory | %s |

## Faults injected (between the functions and DynamoDB / EventBridge, by the local cloud)

| fault | rate | injected |
|---|---:|---:|
| DynamoDB ThrottlingException | %.0f%% | %d |
| DynamoDB InternalServerError (500) | %.0f%% | %d |
| DynamoDB write applied, response dropped (the SDK retries it) | %.0f%% | %d |
| DynamoDB added latency | %d ms | every call (%d) |
| EventBridge PutEvents InternalException (500) | %.0f%% (%.0f%% in the burst) | %d of %d |
| function instance killed mid-invocation | %.0f%% (%.0f%% in the burst) | %d of %d invocations |

The burst runs from 40%% to 55%% of the load; the operator redrives dead letters at 70%%, while the load goes on.

## Load (%d app clients, a new install every 40 batches, %d events a batch, a feed read after each batch; an operator running batches every 2 s)

| figure | value |
|---|---:|
| duration (until every client's last batch was accepted) | %.1f s |
| event batches accepted | %d |
| event batch attempts (503, 429 and a killed instance's 500 are retried with the same ids) | %d |
| feed reads (public and personal) | %d |
| responses by status | %s |
| 500s, each from a killed instance (retried, as any idempotent request) | %d |
| 429s (per-route or per-client limits; retried after Retry-After) | %d |
| 5xx other than those and 503 with Retry-After | %d |
| distinct events accepted | %d |
| events counted by the KPI batch (faults off) | %d |
| **events lost** | **%d** |
| **events double-counted** | **%d** |

## Batches under faults (manual runs through the local cloud, as the console's Run now)

| batch | runs ok | runs failed (retried by the next run) |
|---|---:|---:|
%s

A generated feed of %d stories (`+"`/_local/feeds/`"+`) was registered as the load began and ingested only by those runs:
**%d stored, each once, and %d ranked into its feed** after the faults were switched off — a run that failed
part-way resumed where it stopped (sources stored in full are done; the announcer's checkpoint moves per chunk).
%s

## Dead letters

| figure | value |
|---|---:|
| redriven through the admin console (admin-ops' Redrive all: SQS receive, Lambda invoke, delete) while the load went on | %d |
| redriven after the load (faults off) | %d |
| **dead letters of the run left** | **%d** |

%s

## The local cloud's memory

| at | Go heap (MiB, live after GC) | goroutines | dynalite RSS (MiB) | function instances RSS (MiB) | instances | invocations queued for an instance |
|---:|---:|---:|---:|---:|---:|---|
%s

%s. The Go heap and goroutines are the local cloud itself (gateway, bus, function host and proxies run in the
test process); dynalite holds every table in memory, so it grows with the data written; instances come and go
with the load.

## What holds it together

Every DynamoDB write is a single-item conditional put keyed by user and event id, so a write whose response was
lost and retried meets itself and counts once; a batch that fails after some writes answers 503 with Retry-After
and its retry stores the rest; EventBridge announcements that fail make the request fail the same way. A killed
instance loses whatever the invocation had not written yet; the client's retry (same event ids) writes the rest.
Also in `+"`make test`"+`: duplicate and shuffled delivery of every bus event (KIOSK_TEST_DUPLICATES=on rerun),
the bad-input corpus (≈ 300 inputs including each route one byte past its body cap, 0 server errors, tables
unchanged), the authorization matrix, per-client limits, fuzzing, idempotency (shared/platform/idem), and
resumption of ingestion and announcing after a failure part-way (shared/article).
`, time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), duration,
		corpus, matrix, dup, injected.DynamoThrottle+injected.DynamoError+injected.DynamoDrop, injected.BusError, injected.Killed,
		sent, total, lost, double, feedItems, stored, ranked, redrivenUnderLoad.Load()+redrivenAfter.Load(), len(leftover), hostileRows, strings.SplitN(verdict, ";", 2)[0],
		base.DynamoThrottle*100, injected.DynamoThrottle, base.DynamoError*100, injected.DynamoError,
		base.DynamoDrop*100, injected.DynamoDrop, base.DynamoLatencyMS, injected.DynamoCalls,
		base.BusError*100, burst.BusError*100, injected.BusError, injected.BusCalls,
		base.KillInvocation*100, burst.KillInvocation*100, injected.Killed, injected.Invocations,
		clients, perBatch, took.Seconds(), batches, attempts, reads, strings.Join(codes, ", "), crashed, limited, len(bad),
		sent, total, lost, double, strings.Join(runLines, "\n"), feedItems, stored, ranked, chargedText(charged, chargedBy),
		redrivenUnderLoad.Load(), redrivenAfter.Load(), len(leftover), hostileSection, strings.Join(memLines, "\n"), verdict)
	dir := filepath.Join(root, "build", "reliability")
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "RELIABILITY.md"), []byte(report), 0o644)
	}
	t.Log("\n" + report)
}

// chargedText says whether the load left the generated feed's source
// charged, and by what (refetchIfCharged).
func chargedText(failures int, lastError string) string {
	if failures == 0 {
		return "The load left the feed's source uncharged (no failure in a row at its end)."
	}
	return fmt.Sprintf("The load left the feed's source charged, %d failure(s) in a row, the last: %q; "+
		"the operator made it due again (`POST /admin/api/sources/{id}/refetch`) once the faults were off.", failures, kiosk.Truncate(lastError, 160))
}

type sample struct {
	At time.Duration
	local.Footprint
}

// queuedText lists the queued invocations, largest first.
func queuedText(q map[string]int) string {
	fns := slices.Collect(maps.Keys(q))
	sort.Slice(fns, func(i, j int) bool { return q[fns[i]] > q[fns[j]] || q[fns[i]] == q[fns[j]] && fns[i] < fns[j] })
	var parts []string
	for _, fn := range fns {
		parts = append(parts, fmt.Sprintf("%d %s", q[fn], fn))
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, ", ")
}

type verdict struct {
	ok  bool
	why string
}

// memoryVerdict judges the local cloud's memory two ways. Idle: with every
// instance stopped and nothing in flight, before and after the load, the
// live heap may not have grown by more than half (plus 8 MiB of slack for a
// small heap) and the goroutines by more than 30 — a leak shows there.
// Under load: the median live heap of the last third of the samples against
// the first third's, with the same bound. Goroutines under load follow the
// instances and the invocations queued for one, so they are shown, not judged.
func memoryVerdict(s []sample, before, after local.Footprint) verdict {
	if len(s) < 6 {
		return verdict{false, fmt.Sprintf("only %d memory samples", len(s))}
	}
	third := len(s) / 3
	med := func(xs []sample) float64 {
		v := make([]float64, len(xs))
		for i, x := range xs {
			v[i] = x.HeapMiB
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	h0, h1 := med(s[:third]), med(s[len(s)-third:])
	why := fmt.Sprintf("idle before → after the load, every instance stopped: heap %.1f → %.1f MiB, goroutines %d → %d; "+
		"under load, median heap of the first → last third of the samples: %.1f → %.1f MiB",
		before.HeapMiB, after.HeapMiB, before.Goroutines, after.Goroutines, h0, h1)
	if h1 > h0*1.5+8 || after.HeapMiB > before.HeapMiB*1.5+8 || after.Goroutines > before.Goroutines+30 {
		return verdict{false, "growing: " + why}
	}
	return verdict{true, "flat: " + why}
}

// quiesce stops every function instance (as a redeploy would: idle ones at
// once, busy ones after their call), waits for them to be gone and nothing
// to be queued, and measures the cloud at rest.
func quiesce(t *testing.T) local.Footprint {
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, f := range cloud.Topology.Functions {
			cloud.Recycle(f.Name)
		}
		time.Sleep(500 * time.Millisecond)
		f := cloud.Footprint()
		if (f.Instances == 0 && len(f.Queued) == 0) || time.Now().After(deadline) {
			return f
		}
	}
}

// retryDelay is how long a client waits before retrying: Retry-After when
// the answer gives one (at most 2 s here), else 50 ms.
func retryDelay(h http.Header) time.Duration {
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s > 0 {
		return min(time.Duration(s)*time.Second, 2*time.Second)
	}
	return 50 * time.Millisecond
}

// refetchIfCharged makes the source due on the next run (the admin API's
// refetch, as an operator after an incident) if the load left it charged,
// last by parse-feed failing on its document (any other last error fails the
// test); it returns the failures in a row it was left with, 0 if none, and
// its last error.
func refetchIfCharged(t *testing.T, id string) (int, string) {
	t.Helper()
	var src struct {
		ConsecutiveFailures int    `json:"consecutive_failures"`
		LastError           string `json:"last_error"`
	}
	status, body := admin(t, "GET", "/admin/api/sources/"+id, cloud.AdminToken(), "", "")
	if status != 200 || json.Unmarshal(body, &src) != nil {
		t.Fatalf("GET the generated feed's source: %d %s", status, body)
	}
	if src.ConsecutiveFailures == 0 {
		return 0, ""
	}
	if !strings.Contains(src.LastError, "parse-feed failed on the document") {
		t.Errorf("the load left the generated feed's source charged (%d failures in a row), last by %q; only parse-feed failing on its document may charge it", src.ConsecutiveFailures, src.LastError)
	}
	if status, body := admin(t, "POST", "/admin/api/sources/"+id+"/refetch", cloud.AdminToken(), "", ""); status != 200 {
		t.Fatalf("refetch the generated feed's source: %d %s", status, body)
	}
	return src.ConsecutiveFailures, src.LastError
}

// registerUnderFaults registers an install, retrying what the contract says
// to retry.
func registerUnderFaults(t *testing.T, record func(int, string, string), until time.Time) registration {
	for time.Now().Before(until) {
		status, out, h := call(t, "POST", "/v1/users", "", "")
		record(status, h.Get("Retry-After"), string(out))
		var r registration
		if status == 201 && json.Unmarshal(out, &r) == nil {
			return r
		}
		time.Sleep(retryDelay(h))
	}
	return registration{}
}

// countSource counts the items of a list page that come from source.
// countSource counts a page's articles from source: items it leads and, in
// a feed of stories, the versions they list (generated titles can be
// clustered into one story; each article still counts once).
func countSource(t *testing.T, path, source string) int {
	var page struct {
		Items []struct {
			SourceID string `json:"source_id"`
			Also     []struct {
				SourceID string `json:"source_id"`
			} `json:"also"`
		} `json:"items"`
	}
	get(t, path, &page)
	n := 0
	for _, it := range page.Items {
		if it.SourceID == source {
			n++
		}
		for _, v := range it.Also {
			if v.SourceID == source {
				n++
			}
		}
	}
	return n
}

// signIn is an operator's session on the admin console.
func signIn(t *testing.T) *http.Client {
	t.Helper()
	c, _ := joinAs(t, "operator")
	return c
}

var joined atomic.Int64

// joinAs creates a console account with role through the invitation flow —
// the admin token's break-glass invitation (POST /admin/api/editors/invitations),
// then the one-time link's form — and returns a client signed in as it, and
// its email.
func joinAs(t *testing.T, role string) (*http.Client, string) {
	t.Helper()
	email := fmt.Sprintf("%s-%d-%d@kiosk.test", role, time.Now().UnixNano(), joined.Add(1))
	status, body := admin(t, "POST", "/admin/api/editors/invitations", cloud.AdminToken(), "application/json",
		fmt.Sprintf(`{"email":%q,"role":%q}`, email, role))
	var inv struct {
		Link  string `json:"link"`
		Token string `json:"token"`
	}
	if status != 201 || json.Unmarshal(body, &inv) != nil || inv.Link == "" {
		t.Fatalf("invite %s: %d %s", email, status, body)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: local.ManyClients(), Timeout: 30 * time.Second}
	resp, err := c.PostForm(cloud.APIURL+"/admin/join", url.Values{"token": {inv.Token}, "password": {consolePassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Request.URL.Path, "/admin") || resp.Request.URL.Path == "/admin/login" {
		t.Fatalf("join as %s: %d at %s", email, resp.StatusCode, resp.Request.URL)
	}
	return c, email
}

// consolePassword is every test account's password.
const consolePassword = "correct horse battery staple"

var (
	csrfRe   = regexp.MustCompile(`name="csrf" value="([^"]*)"`)
	letterRe = regexp.MustCompile(`name="function" value="([^"]*)"><input type="hidden" name="message" value="([^"]*)"`)
)

// redriveNew redrives, through the admin console's dead-letter page, every
// dead letter not in before: with "Redrive all" for a function none of whose
// earlier letters (other tests') are left, else one by one; for a few rounds
// (the page lists 10 per function; a redrive that fails, a killed instance,
// is tried next round). It returns how many were redriven.
func redriveNew(t *testing.T, c *http.Client, before map[string]string, rounds int) int {
	older := map[string]bool{}
	for _, fn := range before {
		older[fn] = true
	}
	n := 0
	for range rounds {
		resp, err := c.Get(cloud.APIURL + "/admin/dead-letters")
		if err != nil {
			t.Error(err)
			return n
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		csrf := csrfRe.FindSubmatch(page)
		if resp.StatusCode != 200 || csrf == nil {
			continue // a killed instance or a throttled read: next round
		}
		token := html.UnescapeString(string(csrf[1]))
		found, all := 0, map[string]bool{}
		for _, m := range letterRe.FindAllSubmatch(page, -1) {
			fn, id := html.UnescapeString(string(m[1])), html.UnescapeString(string(m[2]))
			if _, old := before[id]; old {
				continue
			}
			found++
			if !older[fn] {
				all[fn] = true
				continue
			}
			resp, err := c.PostForm(cloud.APIURL+"/admin/dead-letters/redrive", url.Values{"csrf": {token}, "function": {fn}, "message": {id}})
			if err != nil {
				t.Error(err)
				continue
			}
			resp.Body.Close()
			if resp.StatusCode == 200 && resp.Request.URL.Query().Get("redriven") == fn {
				n++
			}
		}
		for fn := range all {
			resp, err := c.PostForm(cloud.APIURL+"/admin/dead-letters/redrive-all", url.Values{"csrf": {token}, "function": {fn}})
			if err != nil {
				t.Error(err)
				continue
			}
			resp.Body.Close()
			if k, err := strconv.Atoi(resp.Request.URL.Query().Get("count")); resp.StatusCode == 200 && err == nil {
				n += k
			}
		}
		if found == 0 {
			return n
		}
	}
	return n
}

// deadLetterIDs are the dead letters there are now: id → function.
func deadLetterIDs(t *testing.T) map[string]string {
	var out struct {
		DeadLetters []local.DeadLetter `json:"dead_letters"`
	}
	get(t, "/_local/dead-letters", &out)
	ids := map[string]string{}
	for _, d := range out.DeadLetters {
		ids[d.ID] = d.Function
	}
	return ids
}

// newDeadLetters lists the dead letters not in before, as function: error.
func newDeadLetters(t *testing.T, before map[string]string) []string {
	var out struct {
		DeadLetters []local.DeadLetter `json:"dead_letters"`
	}
	get(t, "/_local/dead-letters", &out)
	var left []string
	for _, d := range out.DeadLetters {
		if _, old := before[d.ID]; !old {
			left = append(left, d.Function+": "+d.Error)
		}
	}
	return left
}

// call sends one request and returns the status, body and headers.
func call(t *testing.T, method, path, token, body string) (int, []byte, http.Header) {
	t.Helper()
	return send(t, http.DefaultClient, method, path, token, body)
}

// send is call through the client c.
func send(t *testing.T, c *http.Client, method, path, token, body string) (int, []byte, http.Header) {
	t.Helper()
	return sendTo(t, c, cloud.APIURL, method, path, token, body)
}

// sendTo is send to the API at base (a test's own cloud).
func sendTo(t *testing.T, c *http.Client, base, method, path, token, body string) (int, []byte, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil, http.Header{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}
