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

// copyUsers is a deep copy of a roster's tallies.
func copyUsers(users map[string]map[string]Tally) map[string]map[string]Tally {
	out := make(map[string]map[string]Tally, len(users))
	merge(out, users)
	return out
}

// dayOf is a shard's day from its hours' rosters: the day partial — what
// partialOf gives for the rosters merged — and, when users is set, the
// day's users-only roster (usersOnly of the merge). It never builds the
// merged day: it groups the hours' tallies by user (one index of the users,
// one flat array of their hours), sums each user's hours in one small map
// reused for every user, and counts the user into the partial at once: no
// per-user map of the day's slices is built (the merge's cost), but the
// index and the flat array hold an entry per user of the day.
func dayOf(hours []map[string]map[string]Tally, period string, shard int, now time.Time, before map[string]bool,
	users bool) (Partial, map[string]map[string]Tally) {
	most := 0
	for _, h := range hours {
		most = max(most, len(h))
	}
	index := make(map[string]int32, most)
	var names []string
	var at []int32 // user i's hours are flat[at[i]:at[i+1]]
	for _, h := range hours {
		for u := range h {
			i, ok := index[u]
			if !ok {
				i = int32(len(names))
				index[u] = i
				names = append(names, u)
				at = append(at, 0)
			}
			at[i]++
		}
	}
	at = append(at, 0)
	total := int32(0)
	for i, n := range at {
		at[i], total = total, total+n
	}
	flat := make([]map[string]Tally, total)
	next := append([]int32(nil), at[:len(names)]...)
	for _, h := range hours {
		for u, slices := range h {
			i := index[u]
			flat[next[i]] = slices
			next[i]++
		}
	}
	p := Partial{Granularity: Day, Period: period, Shard: shard, Slices: map[string]Counts{}, ComputedAt: now.UTC()}
	var out map[string]map[string]Tally
	if users {
		out = make(map[string]map[string]Tally, len(names))
	}
	sum := map[string]Tally{}
	for i, u := range names {
		own := flat[at[i]:at[i+1]]
		slices := own[0]
		if len(own) > 1 {
			clear(sum)
			for _, m := range own {
				for k, t := range m {
					c := sum[k]
					for j := range c {
						c[j] += t[j]
					}
					sum[k] = c
				}
			}
			slices = sum
		}
		countUser(p.Slices, slices, before != nil && before[u])
		if users {
			out[u] = map[string]Tally{"all": slices["all"]}
		}
	}
	return p, out
}
