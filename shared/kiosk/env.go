package kiosk

import "strings"

// TableEnv is the environment variable that carries a table's physical name to
// the functions granted it; the topology sets it, the store reads it.
func TableEnv(table string) string {
	return "KIOSK_TABLE_" + strings.ToUpper(strings.ReplaceAll(table, "-", "_"))
}

// SecretEnv carries the id (ARN in AWS) of a secret a function may read.
func SecretEnv(secret string) string {
	return "KIOSK_SECRET_" + strings.ToUpper(strings.ReplaceAll(secret, "-", "_"))
}

// BusEnv carries the event bus name to functions that publish.
const BusEnv = "KIOSK_BUS"

// FunctionEnv carries the function's own name (as in the topology).
const FunctionEnv = "KIOSK_FUNCTION"
