package tracking

import (
	"time"
)

// Tally is one user's events of one slice in a period: impressions, clicks,
// reads and shares. A user is in the slice's users, viewers (impressions >
// 0), clickers, viewer_clicks and read_users by it, so tallies of the same
// user add up across periods and still count the user once.
type Tally [4]int64

// Roster is one shard's tallies of a period, per user and slice: what the
// period's partial is computed from (partialOf), kept so that a day is the
// sum of its hours' rosters and a KPI run reads the raw events of the hours
// that changed only. An hour's roster has every slice; a day's has only
// "all" (its users, for the next day's Returning).
//
// Started is when the recomputation that made it started: a roster is
// replaced only by one started at the same time or later, so a slow worker
// never puts back what a later one superseded.
type Roster struct {
	Granularity string
	Period      string
	Shard       int
	Started     time.Time
	Users       map[string]map[string]Tally // user → slice → tally
	// Of is, for each article slice, the category and source slices its
	// events were counted in (when the roster was made): a user's "all",
	// category and source tallies are then the sums of their article
	// tallies, and a store may keep only those (and the variants). Not read
	// back.
	Of map[string][2]string
}

// RosterTTL is how long after its day starts a roster is kept: its day is
// correctable for Correctable, and the next day (which reads its users for
// Returning) a day longer; a roster outlives both.
const RosterTTL = Retention + 24*time.Hour

// rosterExpires is when a roster of the period starting at start expires.
func rosterExpires(start time.Time) time.Time {
	return start.UTC().Truncate(24 * time.Hour).Add(RosterTTL)
}

// merge adds the tallies of from into into.
func merge(into, from map[string]map[string]Tally) {
	for u, slices := range from {
		m := into[u]
		if m == nil {
			m = make(map[string]Tally, len(slices))
			into[u] = m
		}
		for slice, t := range slices {
			c := m[slice]
			for i := range c {
				c[i] += t[i]
			}
			m[slice] = c
		}
	}
}

// usersOnly keeps each user's "all" tally: a day roster, enough for the
// next day's Returning.
func usersOnly(users map[string]map[string]Tally) map[string]map[string]Tally {
	out := make(map[string]map[string]Tally, len(users))
	for u, slices := range users {
		out[u] = map[string]Tally{"all": slices["all"]}
	}
	return out
}

// copyUsers is a deep copy of a roster's tallies.
func copyUsers(users map[string]map[string]Tally) map[string]map[string]Tally {
	out := make(map[string]map[string]Tally, len(users))
	merge(out, users)
	return out
}
