// Package user is the users domain: anonymous app installs, their sessions
// (short-lived signed access tokens, rotating refresh tokens), and their interests — the categories they chose and the ones learned
// from what they click and read, decayed over time.
package user

import (
	"math"
	"sort"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// User is one app install.
type User struct {
	ID        string             `json:"user_id"`
	Interests []string           `json:"interests"`
	Learned   map[string]float64 `json:"learned_interests"`
	// LearnedThrough is the last period whose engagement is in Learned.
	LearnedThrough string    `json:"-"`
	CreatedAt      time.Time `json:"created_at"`
}

// Limits on interests: explicit categories a user may choose, and learned
// categories kept (the strongest), so a profile's size never depends on how
// many categories a user's clicks touch.
const (
	MaxInterests = 20
	MaxLearned   = 50
)

// Engagement is one user's weighted engagement per category in an hour.
type Engagement struct {
	UserID  string
	Weights map[string]float64
}

// Registration is what a new install gets, and what each refresh returns:
// an access token for the API and the refresh token for the next swap.
type Registration struct {
	UserID           string    `json:"user_id"`
	Token            string    `json:"token"` // the access token
	ExpiresAt        time.Time `json:"expires_at"`
	RefreshToken     string    `json:"refresh_token"`
	RefreshExpiresAt time.Time `json:"refresh_expires_at"`
}

// HalfLife of a learned interest: a weight halves every week nobody adds to
// it. It is the contract's (events.LearnedHalfLife), so the feed decays the
// weights it was sent the same way.
const HalfLife = events.LearnedHalfLife

// HourLayout names a learned hour (user.engaged's hour, YYYYMMDDHH).
const HourLayout = events.HourLayout

// Decay returns how much of a weight is left after d with the given half-life.
func Decay(d, halfLife time.Duration) float64 {
	if d <= 0 {
		return 1
	}
	return math.Pow(0.5, float64(d)/float64(halfLife))
}

// Blend decays old weights by the time elapsed between the hour they were
// learned through and the hour being learned (not by one hour per hour
// applied: ten idle days decay as ten days), and adds the new engagement;
// tiny weights are dropped so the map stays small.
func Blend(old map[string]float64, elapsed time.Duration, engagement map[string]float64) map[string]float64 {
	out := decayed(old, elapsed)
	for k, v := range engagement {
		out[k] += v
	}
	if len(out) > MaxLearned {
		ks := make([]string, 0, len(out))
		for k := range out {
			ks = append(ks, k)
		}
		sort.Slice(ks, func(i, j int) bool {
			if out[ks[i]] != out[ks[j]] {
				return out[ks[i]] > out[ks[j]]
			}
			return ks[i] < ks[j]
		})
		for _, k := range ks[MaxLearned:] {
			delete(out, k)
		}
	}
	return out
}

// decayed returns the weights left after elapsed, without the ones under 0.01.
func decayed(w map[string]float64, elapsed time.Duration) map[string]float64 {
	out := map[string]float64{}
	f := Decay(elapsed, HalfLife)
	for k, v := range w {
		if v := v * f; v >= 0.01 {
			out[k] = v
		}
	}
	return out
}

// ParseHour reads a learned hour (YYYYMMDDHH).
func ParseHour(hour string) (time.Time, error) {
	t, err := time.Parse(HourLayout, hour)
	if err != nil {
		return time.Time{}, kiosk.Errorf(kiosk.EINVALID, "hour %q is not YYYYMMDDHH", kiosk.Truncate(hour, 20))
	}
	return t, nil
}

// LearnedAt is u's learned weights as of now: decayed by the time elapsed
// since the last hour learned (stored weights stay as of that hour, so
// reading never writes). An unknown or unreadable hour decays nothing.
func (u User) LearnedAt(now time.Time) map[string]float64 {
	h, err := ParseHour(u.LearnedThrough)
	if err != nil {
		return decayed(u.Learned, 0)
	}
	return decayed(u.Learned, now.Sub(h))
}

// cleanInterests validates a user's explicit categories and returns them
// sorted, without duplicates.
func cleanInterests(categories []string) ([]string, error) {
	if categories == nil {
		return nil, kiosk.Errorf(kiosk.EINVALID, "categories is required (send [] to clear)")
	}
	if len(categories) > MaxInterests {
		return nil, kiosk.Errorf(kiosk.EINVALID, "at most %d categories", MaxInterests)
	}
	seen := map[string]bool{}
	clean := []string{}
	for _, c := range categories {
		if !contract.ValidCategory(c) {
			return nil, kiosk.Errorf(kiosk.EINVALID, "category %q must be lower-case letters, digits and dashes", kiosk.Truncate(c, 40))
		}
		if !seen[c] {
			seen[c] = true
			clean = append(clean, c)
		}
	}
	sort.Strings(clean)
	return clean, nil
}
