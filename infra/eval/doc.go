// Package eval measures Kiosk's ranking offline, the way news recommendation
// is measured on Microsoft's MIND: impressions (a reader, a time, the
// candidates shown, the clicks) are replayed in time order, every ranker
// orders each impression's candidates with only what was known before it,
// and MIND's metrics (AUC, MRR, nDCG@5, nDCG@10) compare the order with the
// clicks. Baselines run in the same replay: random, recency, popularity,
// Kiosk's current ranker (shared/feed, through the one adapter in kiosk.go)
// and, on simulated data, an oracle that knows the readers' true tastes.
//
// The impressions come from a seeded simulator (Simulate) or from MIND's
// files (ReadMIND). The simulator's readers have hidden interests over
// categories (sparse, drifting daily), affinities for sources, an appetite
// for freshness, sessions through the day; 5% are heavy readers, 15% arrive
// on the last (scored) day. Its articles are the sample feeds' sources plus
// generated ones, thousands of stories a day, 40% of them syndicated by
// several sources (near-identical titles, one story). Its logging policy is
// randomised with known propensities: each session shows 20 candidates
// drawn uniformly from the last day's unread articles in a uniformly random
// order, so the clicks the log holds are unbiased by any ranker and an
// inverse-propensity (replay) estimate of a ranker's clicks is unbiased
// (Li et al., WSDM 2011). Clicks follow a position-based model: a reader
// looks at place k with probability 1/log2(k+2) and clicks with their true
// probability; a story already opened, or seen higher in the same list,
// is worth 3% of itself. The simulator also knows the truth, so it reports
// the exact expected clicks next to the estimate.
//
// On simulated data it also takes each sampled reader's top 10 out of every
// live article at four moments of the scored day (the feed rows: true
// clicks, duplicate slots, coverage, diversity, novelty, freshness) and
// measures robustness: how many other readers' top 10 change when one heavy
// reader or one malicious install is added to the signals.
//
// A ranker is anything with Rank(Query, candidates, k); Kiosk's is Kiosk with
// KioskParams, so a variant of it plugs in as another Ranker. Simulated
// figures are synthetic: the report labels them so and never sets them
// beside MIND's.
package eval
