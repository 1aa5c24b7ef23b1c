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

// interleavedStore lets another writer's change land while a learning run
// goes on: during[id] runs once, before SetLearned of user id is applied;
// afterRead[id] once, when the first read of id after that write returns
// (the run's read of the profile it announces).
type interleavedStore struct {
	Store
	during, afterRead map[string]func()
	learned           map[string]bool
}

func (s *interleavedStore) SetLearned(ctx context.Context, id string, learned map[string]float64, through, prev string) error {
	if f := s.during[id]; f != nil {
		delete(s.during, id)
		f()
	}
	if s.learned == nil {
		s.learned = map[string]bool{}
	}
	s.learned[id] = true
	return s.Store.SetLearned(ctx, id, learned, through, prev)
}

func (s *interleavedStore) Get(ctx context.Context, id string) (User, error) {
	u, err := s.Store.Get(ctx, id)
	if f := s.afterRead[id]; f != nil && s.learned[id] {
		delete(s.afterRead, id)
		f()
	}
	return u, err
}

// TestTheNewestAnnouncementOfAProfileHoldsEveryStoredChange: the feed keeps
// the announcement of a user's profile with the latest At (newest wins), so
// the latest-stamped announcement must hold every change, whichever writer
// made it. An interests change lands in a learning run of users u and v:
// before the run stores u's weights, right after the run read u back, or
// while the run goes on with v. A run stamped when it began lost the first
// case (the change's announcement, read before the hour's weights, was
// stamped later and kept); one stamped when it ended lost the third, and one
// stamping each read right after it lost the second (the run's announcement
// of u, read before the change, was stamped later and kept — the user's own
// choice gone from the feed's copy until the next announcement). Each writer
// now stamps after its write and before its read (readAfterWrite).
func TestTheNewestAnnouncementOfAProfileHoldsEveryStoredChange(t *testing.T) {
	for _, c := range []struct{ name, during, afterRead string }{
		{name: "a change before the run stores the user's weights", during: "u"},
		{name: "a change right after the run read the user", afterRead: "u"},
		{name: "a change while the run goes on with another user", during: "v"},
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
			change := func() {
				if _, err := s.SetInterests(ctx, "u", []string{"news"}); err != nil {
					t.Fatal(err)
				}
			}
			st.during, st.afterRead = map[string]func(){c.during: change}, map[string]func(){c.afterRead: change}
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
