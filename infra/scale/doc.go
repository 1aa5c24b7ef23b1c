// Package scale is make scale's harness: it grows each workload on a running
// local cloud (the interested readers of a trending article, the articles in
// the ranking window, the events of an hour, the new articles a day and the
// sources of an ingestion run), seeding state straight into the tables with
// the domains' own stores and starting each run as its trigger would, and
// records per batch run and per request the wall time, DynamoDB units
// (metered by the local cloud), Lambda GB-seconds, invocations, bus events,
// log bytes and peak memory. It fits each curve's growth exponent by least
// squares on log–log axes (FitPower), extrapolates to Gunosy's scale, names
// the limit each curve meets first, prices a month with infra/price (Price)
// and writes SCALE.md with a log–log chart per curve (Report).
package scale
