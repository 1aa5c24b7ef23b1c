package user

import (
	"context"
	"errors"
	"math"
	"os"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/infra/local/dynamotest"
	"github.com/kiosk-news/kiosk/shared/auth"
	"github.com/kiosk-news/kiosk/shared/kiosk"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

func TestRegisterAndInterests(t *testing.T) {
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

func newService(t *testing.T, key []byte, now *time.Time) *Service {
	clock := func() time.Time { return *now }
	return &Service{Store: NewDynamoStore(dynamotest.Table(t, "users")), Sessions: NewDynamoSessions(dynamotest.Table(t, "sessions"), clock),
		SigningKey: key, Now: clock}
}

func TestLearnIsIdempotentAndDecays(t *testing.T) {
	ctx := context.Background()
	st := NewDynamoStore(dynamotest.Table(t, "users"))
	_ = st.Create(ctx, User{ID: "u", Interests: []string{}, Learned: map[string]float64{}})
	day, half := 24*time.Hour, 7*24*time.Hour
	if err := st.Learn(ctx, "u", "2026-11-24", map[string]float64{"sports": 4}, half, day); err != nil {
		t.Fatal(err)
	}
	_ = st.Learn(ctx, "u", "2026-11-24", map[string]float64{"sports": 4}, half, day) // redelivered
	_ = st.Learn(ctx, "u", "2026-11-25", map[string]float64{"tech": 1}, half, day)
	_ = st.Learn(ctx, "u", "2026-11-23", map[string]float64{"tech": 100}, half, day) // late, older
	u, _ := st.Get(ctx, "u")
	want := 4 * math.Pow(0.5, 1.0/7)
	if math.Abs(u.Learned["sports"]-want) > 1e-9 || u.Learned["tech"] != 1 || u.LearnedThrough != "2026-11-25" {
		t.Errorf("learned = %v through %s; want sports %.4f, tech 1", u.Learned, u.LearnedThrough, want)
	}
	if err := st.Learn(ctx, "nobody", "2026-11-25", nil, half, day); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
}
