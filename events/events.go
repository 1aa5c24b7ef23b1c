// Package events is Kiosk's event catalogue: the language domains speak to each
// other on the bus. Each detail type has a Go struct here, a JSON Schema under
// schemas/ (generated from the struct; `go test ./events -update` rewrites it) and
// a sample under samples/.
package events

import (
	"reflect"
	"sort"
	"time"
)

// Sources: every event's source is kiosk.<domain>.
const (
	SourcePlatform = "kiosk.platform"
)

// Detail types.
const (
	HeartbeatType = "platform.heartbeat"
)

// Heartbeat is published by the heartbeat batch on every run; the
// record-heartbeat consumer stores it so /v1/health can prove that schedules,
// the bus and the rules deliver end to end.
type Heartbeat struct {
	// Run identifies the batch run that emitted it.
	Run string `json:"run"`
	// At is when the batch ran.
	At time.Time `json:"at"`
}

// Type describes one detail type of the catalogue.
type Type struct {
	DetailType  string
	Source      string
	Description string
	Go          reflect.Type
}

// Catalog lists every detail type Kiosk publishes.
var Catalog = []Type{
	{HeartbeatType, SourcePlatform, "The heartbeat batch ran; proves schedule → bus → rule → consumer.", reflect.TypeFor[Heartbeat]()},
}

// Lookup finds a detail type in the catalogue.
func Lookup(detailType string) (Type, bool) {
	for _, t := range Catalog {
		if t.DetailType == detailType {
			return t, true
		}
	}
	return Type{}, false
}

// Sources returns the distinct sources of the catalogue, sorted.
func Sources() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range Catalog {
		if !seen[t.Source] {
			seen[t.Source] = true
			out = append(out, t.Source)
		}
	}
	sort.Strings(out)
	return out
}
