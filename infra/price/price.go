// Package price holds the AWS prices the cost models of make bench and make
// scale multiply by: USD, us-east-1, arm64, as AWS publishes them on its
// pricing pages (the DynamoDB figures are those of the on-demand price cut of
// 2024-11-01). Free tiers are ignored.
package price

import "math"

// Serverless, per unit.
const (
	LambdaGBSecondArm = 0.0000133334 // per GB-second, arm64
	LambdaRequest     = 0.20 / 1e6
	HTTPAPIRequest    = 1.00 / 1e6 // first 300 M a month, per 512 KB
	DynamoRRU         = 0.125 / 1e6
	DynamoWRU         = 0.625 / 1e6
	EventBridgeEvent  = 1.00 / 1e6 // custom events, per 64 KB
	// CloudWatch Logs: ingestion per GB (standard class) and storage per
	// GB-month.
	LogsIngestGB  = 0.50
	LogsStoreGBMo = 0.03
	// DynamoDB storage per GB-month (standard table class).
	DynamoStoreGBMo = 0.25
)

// The always-on container alternative: Fargate on Linux/ARM (Graviton), per
// hour, and an Application Load Balancer in front of it (the hour, and one
// LCU-hour of the 25 new connections/s, 3,000 active connections, 1 GB/h or
// 1,000 rule evaluations/s it is billed by, whichever is largest).
const (
	FargateVCPUHourArm = 0.03238
	FargateGBHourArm   = 0.00356
	ALBHour            = 0.0225
	ALBLCUHour         = 0.008
)

// Note says where the figures come from, for a report's footnote.
const Note = "Prices (USD, us-east-1, arm64, from AWS's pricing pages as of 2024-11, after DynamoDB's on-demand price cut of " +
	"2024-11-01): Lambda arm64 $0.0000133334 per GB-s and $0.20 per million requests; HTTP API $1.00 per million requests; " +
	"DynamoDB on-demand $0.125 per million read and $0.625 per million write request units, $0.25 per GB-month stored; " +
	"EventBridge $1.00 per million custom events; CloudWatch Logs $0.50 per GB ingested, $0.03 per GB-month stored; " +
	"Fargate Linux/ARM $0.03238 per vCPU-hour and $0.00356 per GB-hour; Application Load Balancer $0.0225 an hour and " +
	"$0.008 per LCU-hour. Free tiers are ignored."

// Lambda is one arm64 invocation of ms milliseconds (billed rounded up to
// 1 ms) with memMB configured.
func Lambda(ms float64, memMB int) float64 {
	return LambdaRequest + math.Ceil(ms)/1000*float64(memMB)/1024*LambdaGBSecondArm
}
