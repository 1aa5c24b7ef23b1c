package main

import (
	"fmt"
	"math"
	"strings"
)

// Prices (USD, us-east-1, as AWS publishes them on its pricing pages; the
// DynamoDB figures are those of the on-demand price cut of 2024-11-01).
const (
	lambdaGBSecondArm = 0.0000133334 // per GB-second, arm64
	lambdaRequest     = 0.20 / 1e6
	httpAPIRequest    = 1.00 / 1e6 // first 300 M a month, per 512 KB
	dynamoRRU         = 0.125 / 1e6
	dynamoWRU         = 0.625 / 1e6
	eventBridgeEvent  = 1.00 / 1e6 // custom events, per 64 KB
)

const pricesNote = "Prices (USD, us-east-1, from AWS's pricing pages as of 2024-11, after DynamoDB's on-demand price cut of " +
	"2024-11-01): Lambda arm64 $0.0000133334 per GB-s and $0.20 per million requests; HTTP API $1.00 per million requests; " +
	"DynamoDB on-demand $0.125 per million read and $0.625 per million write request units; EventBridge $1.00 per million " +
	"custom events. Durations are the functions' own median durations measured here (billed rounded up to 1 ms); Lambda in AWS " +
	"runs on different CPUs, so treat them as an order of magnitude. Free tiers are ignored."

func (r *Report) route(key string) (Calls, bool) {
	for _, c := range r.Calls {
		if c.Route == key {
			return c, true
		}
	}
	return Calls{}, false
}

func lambdaCost(ms float64, memMB int) float64 {
	return lambdaRequest + math.Ceil(ms)/1000*float64(memMB)/1024*lambdaGBSecondArm
}

func costModel(r *Report) Cost {
	var c Cost
	feedBytes := 0
	for _, l := range r.Latencies {
		if strings.HasPrefix(l.Route, "GET /v1/feed") {
			feedBytes = l.BodyBytes
		}
	}
	feedRead := 0.0
	if f, ok := r.route("GET /v1/feed"); ok {
		rru := math.Ceil(float64(max(feedBytes, 1))/4096) * 0.5 // one eventually consistent GetItem of the head chunk
		feedRead = lambdaCost(f.DurationMS, 256) + httpAPIRequest + rru*dynamoRRU
		c.Lines = append(c.Lines, CostLine{What: "per million public feed reads (GET /v1/feed)", USD: feedRead * 1e6,
			Assumptions: fmt.Sprintf("feed-api 256 MB × %.1f ms, 1 GetItem of a ~%d KB chunk (%.1f RRU eventually consistent), 1 HTTP API request", f.DurationMS, feedBytes/1024, rru)})
	}
	personal := 0.0
	if f, ok := r.route("GET /v1/feed/me"); ok {
		personal = lambdaCost(f.DurationMS, 256) + httpAPIRequest + (0.5+5*math.Ceil(float64(max(feedBytes, 1))/4096)*0.5)*dynamoRRU
		c.Lines = append(c.Lines, CostLine{What: "per million personal feed reads (GET /v1/feed/me)", USD: personal * 1e6,
			Assumptions: fmt.Sprintf("feed-api 256 MB × %.1f ms, a Query of the profile and a BatchGet of up to 5 chunks; the authorizer's cached decision is free", f.DurationMS)})
	}
	perEvent := 0.0
	if f, ok := r.route("POST /v1/events"); ok {
		const batch = 25
		// A fifth of batches carry clicks or reads (user.read); every batch counts
		// against its user's limit (one UpdateItem) and marks its hour for the
		// KPI batch (one PutItem, and its by-hour index entry).
		perBatch := lambdaCost(f.DurationMS, 512) + httpAPIRequest + 0.2*eventBridgeEvent + 3*dynamoWRU
		perEvent = perBatch/batch + 1*dynamoWRU
		c.Lines = append(c.Lines, CostLine{What: "per million tracked events (POST /v1/events)", USD: perEvent * 1e6,
			Assumptions: fmt.Sprintf("batches of %d; tracking-api 512 MB × %.1f ms a batch; 1 conditional PutItem (<1 KB, 1 WRU) per event, 1 UpdateItem per batch for the per-user limit and 1 PutItem per batch (2 WRU with its index entry) marking the hour for the KPIs; 1 user.read event on a fifth of the batches", batch, f.DurationMS)})
	}
	// One month of a sample workload: 10,000 daily users, each opening the
	// app 4 times a day (3 public feed pages, 1 personal, 60 events).
	const users, days = 10000, 30
	month := users * days * (3*feedRead + 1*personal + 60*perEvent)
	batches := 0.0
	for _, cold := range r.Colds {
		runs := map[string]float64{"ingest-feeds": 288, "announce-articles": 1440, "rank-feeds": 288 + 96, "aggregate-kpi": 288 * (1 + 32), "heartbeat": 288, "record-heartbeat": 288}[cold.Function]
		mem := map[string]int{"ingest-feeds": 512, "announce-articles": 256, "rank-feeds": 512, "aggregate-kpi": 512, "heartbeat": 128, "record-heartbeat": 128}[cold.Function]
		if runs > 0 {
			batches += runs * days * (lambdaCost(cold.WarmMS, mem) + 4*dynamoRRU + 2*dynamoWRU)
		}
	}
	c.Lines = append(c.Lines, CostLine{What: "per month, sample workload", USD: month + batches,
		Assumptions: fmt.Sprintf("10,000 daily users × 30 days × (3 feed pages + 1 personal page + 60 events in 3 batches) = $%.2f; "+
			"batches on their schedules at their measured warm durations = $%.2f; excludes storage, logs, data transfer and alarms", month, batches)})
	return c
}
