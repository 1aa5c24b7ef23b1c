package user

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/auth"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

func TestServiceRegistersAnInstallAndSetsItsInterests(t *testing.T) {
	ctx := context.Background()
	key := []byte("k")
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s := newService(t, key, &now)
	reg, err := s.Register(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := auth.Verify(key, reg.Token, now)
	if err != nil || c.Subject != reg.UserID || c.Role != auth.RoleUser || c.Session == "" || !reg.ExpiresAt.Equal(now.Add(auth.AccessTTL)) ||
		reg.RefreshToken == "" || !reg.RefreshExpiresAt.Equal(now.Add(RefreshTTL)) {
		t.Fatalf("token = %+v, %v", c, err)
	}
	u, err := s.SetInterests(ctx, reg.UserID, []string{"tech", "sports", "tech"})
	if err != nil || len(u.Interests) != 2 || u.Interests[0] != "sports" {
		t.Errorf("SetInterests = %+v, %v", u, err)
	}
	if u, _ := s.SetInterests(ctx, reg.UserID, []string{}); len(u.Interests) != 0 {
		t.Errorf("clearing left %v", u.Interests)
	}
	for name, in := range map[string][]string{"nil": nil, "a bad name": {"Tech!"}, "too many": make([]string, 21)} {
		if _, err := s.SetInterests(ctx, reg.UserID, in); kiosk.ErrorCode(err) != kiosk.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := s.SetInterests(ctx, "nobody", []string{"x1"}); kiosk.ErrorCode(err) != kiosk.ENOTFOUND {
		t.Errorf("unknown user: %v", err)
	}
}

func newService(_ *testing.T, key []byte, now *time.Time) *Service {
	clock := func() time.Time { return *now }
	return &Service{Store: NewMemoryStore(), Sessions: NewMemorySessions(clock), SigningKey: key, Now: clock}
}

func TestLearnedWeightsDecayByTheTimeElapsedNotByTheHoursApplied(t *testing.T) {
	// A weight of 10 learned at 08:00 on 1 December, then the next hour
	// learned after a gap: 10 × 2^(−gap / 7 days).
	for _, c := range []struct {
		name string
		gap  time.Duration
		want float64
	}{
		{"one hour later", time.Hour, 9.958826},
		{"one day later", 24 * time.Hour, 9.057237},
		{"a week later", 7 * 24 * time.Hour, 5},
		{"thirty idle days later", 30 * 24 * time.Hour, 0.512710},
		{"the same hour (no time elapsed)", 0, 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Blend(map[string]float64{"sports": 10}, c.gap, map[string]float64{"tech": 1})
			if math.Abs(got["sports"]-c.want) > 1e-6 || got["tech"] != 1 {
				t.Errorf("after %v: %v, want sports %.6f and tech 1", c.gap, got, c.want)
			}
		})
	}
	t.Run("a weight decayed under 0.01 is dropped", func(t *testing.T) {
		if got := Blend(map[string]float64{"sports": 10}, 70*24*time.Hour, nil); len(got) != 0 {
			t.Errorf("after 70 days: %v, want nothing left (10 × 2^-10 ≈ 0.0098)", got)
		}
	})
	t.Run("only the strongest MaxLearned categories are kept", func(t *testing.T) {
		many := map[string]float64{}
		for i := range 10 * MaxLearned {
			many[fmt.Sprintf("c%d", i)] = float64(i + 1)
		}
		got := Blend(map[string]float64{"sports": 10000}, time.Hour, many)
		if len(got) != MaxLearned || got["sports"] == 0 || got["c0"] != 0 {
			t.Errorf("kept %d categories (sports %v, c0 %v), want the strongest %d", len(got), got["sports"], got["c0"], MaxLearned)
		}
	})
	t.Run("reading decays by the time since the last learned hour", func(t *testing.T) {
		u := User{Learned: map[string]float64{"sports": 10}, LearnedThrough: "2026120108"}
		at := time.Date(2026, 12, 31, 8, 0, 0, 0, time.UTC)
		if got := u.LearnedAt(at)["sports"]; math.Abs(got-0.512710) > 1e-6 {
			t.Errorf("30 days after the last learned hour: %.6f, want 0.512710", got)
		}
		if got := u.LearnedAt(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))["sports"]; got != 10 {
			t.Errorf("at the learned hour: %v, want 10", got)
		}
		if u.Learned["sports"] != 10 {
			t.Errorf("reading changed the stored weights: %v", u.Learned)
		}
	})
}

func TestServiceLearnsEachHourOnceAndDecaysByElapsedTime(t *testing.T) {
	ctx := context.Background()
	st := NewMemoryStore()
	s := &Service{Store: st}
	_ = st.Create(ctx, User{ID: "u", Interests: []string{}, Learned: map[string]float64{}})
	learn := func(hour string, w map[string]float64) {
		t.Helper()
		if err := s.Learn(ctx, "u", hour, w); err != nil {
			t.Fatalf("learn %s: %v", hour, err)
		}
	}
	check := func(step string, want map[string]float64, through string) {
		t.Helper()
		u, err := st.Get(ctx, "u")
		if err != nil {
			t.Fatal(err)
		}
		if u.LearnedThrough != through || len(u.Learned) != len(want) {
			t.Fatalf("%s: learned %v through %s; want %v through %s", step, u.Learned, u.LearnedThrough, want, through)
		}
		for c, w := range want {
			if math.Abs(u.Learned[c]-w) > 1e-6 {
				t.Errorf("%s: %s = %.6f, want %.6f", step, c, u.Learned[c], w)
			}
		}
	}
	learn("2026120108", map[string]float64{"sports": 10})
	check("first hour", map[string]float64{"sports": 10}, "2026120108")
	learn("2026120108", map[string]float64{"sports": 10}) // redelivered
	check("the same hour again", map[string]float64{"sports": 10}, "2026120108")
	learn("2026120109", map[string]float64{"tech": 1}) // one hour later
	check("one hour later", map[string]float64{"sports": 9.958826, "tech": 1}, "2026120109")
	learn("2026120208", map[string]float64{}) // a day after the first, 23 h after the second
	check("a day after the first", map[string]float64{"sports": 9.057237, "tech": 0.909468}, "2026120208")
	learn("2026120108", map[string]float64{"tech": 100}) // late, older: applied already
	learn("2026120200", map[string]float64{"tech": 100}) // late, between: changes nothing
	check("late hours", map[string]float64{"sports": 9.057237, "tech": 0.909468}, "2026120208")
	learn("2026120808", map[string]float64{}) // a week after the first
	check("a week after the first", map[string]float64{"sports": 5, "tech": 0.502067}, "2026120808")
	learn("2027010708", map[string]float64{"news": 2}) // 30 idle days
	check("thirty idle days", map[string]float64{"sports": 0.256355, "tech": 0.025741, "news": 2}, "2027010708")
	if err := s.Learn(ctx, "nobody", "2026120108", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	if err := s.Learn(ctx, "u", "2026-12-01", nil); kiosk.ErrorCode(err) != kiosk.EINVALID {
		t.Errorf("a malformed hour: %v, want invalid", err)
	}
}

func TestServiceShowsAUsersLearnedWeightsAsOfNow(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	st := NewMemoryStore()
	s := &Service{Store: st, Now: func() time.Time { return now }}
	_ = st.Create(ctx, User{ID: "u", Interests: []string{}, Learned: map[string]float64{}})
	if err := s.Learn(ctx, "u", "2026120108", map[string]float64{"sports": 10}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(30 * 24 * time.Hour)
	u, err := s.Get(ctx, "u")
	if err != nil || math.Abs(u.Learned["sports"]-0.512710) > 1e-6 {
		t.Errorf("30 idle days later Get shows %v (%v), want sports 0.512710", u.Learned, err)
	}
	if ev := Changed(u, now); math.Abs(ev.Learned["sports"]-0.512710) > 1e-6 || !ev.At.Equal(now) {
		t.Errorf("announced %+v, want sports 0.512710 as of %v", ev, now)
	}
}
