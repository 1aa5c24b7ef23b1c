package user

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/events"
)

type published struct {
	DetailType string
	Detail     any
}

// recordingBus keeps what was published; fail makes publishing fail.
type recordingBus struct {
	mu   sync.Mutex
	evs  []published
	fail error
}

func (b *recordingBus) PublishDetails(_ context.Context, detailType string, details ...any) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	for _, d := range details {
		b.evs = append(b.evs, published{detailType, d})
	}
	return nil
}

func TestServiceAnnouncesEveryEngagedUsersProfileOnEachDeliveryAndSkipsStrangers(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	st := NewMemoryStore()
	b := &recordingBus{}
	s := &Service{Store: st, Bus: b, Now: func() time.Time { return now }}
	for _, id := range []string{"a", "b"} {
		_ = st.Create(ctx, User{ID: id, Interests: []string{"tech"}, Learned: map[string]float64{}})
	}
	e := events.UserEngaged{Hour: "2026120108", Users: []events.UserEngagement{
		{UserID: "a", Weights: map[string]float64{"sports": 10}}, {UserID: "nobody", Weights: map[string]float64{"x": 1}},
		{UserID: "b", Weights: map[string]float64{"news": 1}}}}
	for delivery := range 2 { // the second is a redelivery: learned once, announced again
		if err := s.OnUserEngaged(ctx, e); err != nil {
			t.Fatalf("delivery %d: %v", delivery, err)
		}
	}
	if len(b.evs) != 4 {
		t.Fatalf("published %d events, want 2 per delivery", len(b.evs))
	}
	first := b.evs[0].Detail.(events.InterestsChanged)
	if b.evs[0].DetailType != events.InterestsChangedType || first.UserID != "a" || first.Interests[0] != "tech" ||
		math.Abs(first.Learned["sports"]-10*Decay(2*time.Hour, HalfLife)) > 1e-9 || !first.At.Equal(now) {
		t.Errorf("first announcement %+v", first)
	}
	if again := b.evs[2].Detail.(events.InterestsChanged); again.UserID != "a" || math.Abs(again.Learned["sports"]-first.Learned["sports"]) > 1e-9 {
		t.Errorf("the redelivery announced %+v, want the same profile as %+v", again, first)
	}
	b.fail = errors.New("bus down")
	if err := s.OnUserEngaged(ctx, e); err == nil {
		t.Error("a failed announcement was not reported, so the event would not be redelivered")
	}
}

func TestServiceStoresInterestsButAsksForARetryWhenTheAnnouncementFails(t *testing.T) {
	ctx := context.Background()
	st := NewMemoryStore()
	b := &recordingBus{fail: errors.New("bus down")}
	s := &Service{Store: st, Bus: b}
	_ = st.Create(ctx, User{ID: "u", Interests: []string{}, Learned: map[string]float64{}})
	if _, err := s.SetInterests(ctx, "u", []string{"tech"}); err == nil {
		t.Fatal("SetInterests succeeded without announcing")
	}
	if u, _ := st.Get(ctx, "u"); len(u.Interests) != 1 {
		t.Errorf("the interests were not stored: %v", u.Interests)
	}
	b.fail = nil
	if _, err := s.SetInterests(ctx, "u", []string{"tech"}); err != nil || len(b.evs) != 1 {
		t.Errorf("the retry: %v, %d events", err, len(b.evs))
	}
}

// TestARegistrationAnnouncesTheNewUsersEmptyProfile: the feed keeps a copy
// of every user's interests from registration on (the inbox reads it, one
// read a page); a bus that is down does not stop registrations.
func TestARegistrationAnnouncesTheNewUsersEmptyProfile(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s := newService(t, []byte("k"), &now)
	b := &recordingBus{}
	s.Bus = b
	reg, err := s.Register(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.evs) != 1 || b.evs[0].DetailType != events.InterestsChangedType {
		t.Fatalf("published %+v, want one %s", b.evs, events.InterestsChangedType)
	}
	e := b.evs[0].Detail.(events.InterestsChanged)
	if e.UserID != reg.UserID || e.Interests == nil || len(e.Interests) != 0 || e.Learned == nil || len(e.Learned) != 0 || !e.At.Equal(now) {
		t.Errorf("announced %+v, want %s's empty profile as of %s", e, reg.UserID, now)
	}
	b.fail = errors.New("bus down")
	if reg, err := s.Register(ctx); err != nil || reg.Token == "" {
		t.Errorf("a registration with the bus down: %+v %v, want it registered", reg, err)
	}
}

// interleavedStore runs during[id] once, before SetLearned of user id is
// applied: another writer's change lands while a learning run goes on.
type interleavedStore struct {
	Store
	during map[string]func()
}

func (s *interleavedStore) SetLearned(ctx context.Context, id string, learned map[string]float64, through, prev string) error {
	if f := s.during[id]; f != nil {
		delete(s.during, id)
		f()
	}
	return s.Store.SetLearned(ctx, id, learned, through, prev)
}

// TestTheNewestAnnouncementOfAProfileHoldsEveryStoredChange: the feed keeps
// the announcement of a user's profile with the latest At (newest wins), so
// the latest-stamped announcement must be of the latest read, whichever
// writer made it. An interests change lands in a learning run of users u and
// v: before the run stores u's weights (then the run's read of u is the later
// one and holds both), or after the run read u, while it goes on with v (then
// the change's read is the later one, and holds both). A run that stamped its
// announcements when it began lost the first case: the change's
// announcement, read before the hour's weights, was stamped later and kept.
// A run that stamped them all when it ended lost the second: its
// announcement of u, read before the change, was stamped later and kept —
// the user's own choice gone from the feed's copy until their next change.
func TestTheNewestAnnouncementOfAProfileHoldsEveryStoredChange(t *testing.T) {
	for _, c := range []struct{ name, during string }{
		{"a change before the run stores the user's weights", "u"},
		{"a change after the run read the user, while it goes on", "v"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
			mem := NewMemoryStore()
			st := &interleavedStore{Store: mem}
			b := &recordingBus{}
			// Each reading of the clock is a second after the one before.
			s := &Service{Store: st, Bus: b, Now: func() time.Time { now = now.Add(time.Second); return now }}
			for _, id := range []string{"u", "v"} {
				_ = mem.Create(ctx, User{ID: id, Interests: []string{"tech"}, Learned: map[string]float64{}})
			}
			st.during = map[string]func(){c.during: func() {
				if _, err := s.SetInterests(ctx, "u", []string{"news"}); err != nil {
					t.Fatal(err)
				}
			}}
			if err := s.LearnHour(ctx, "2026120109", []Engagement{
				{UserID: "u", Weights: map[string]float64{"sports": 10}}, {UserID: "v", Weights: map[string]float64{"sports": 1}},
			}); err != nil {
				t.Fatal(err)
			}
			var newest events.InterestsChanged
			n := 0
			for _, e := range b.evs {
				if c := e.Detail.(events.InterestsChanged); c.UserID == "u" {
					n++
					if c.At.After(newest.At) {
						newest = c
					}
				}
			}
			if n != 2 || len(newest.Interests) != 1 || newest.Interests[0] != "news" || newest.Learned["sports"] <= 0 {
				t.Errorf("the newest of %d announcements of u is %+v; want the interests set meanwhile (news) and the hour's learning (sports)", n, newest)
			}
		})
	}
}
