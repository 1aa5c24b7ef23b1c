package user

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/guregu/dynamo/v2"
	"github.com/kiosk-news/kiosk/shared/platform/dynalite"

	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
)

// storeSuite is what the service relies on from a Store, asserted the same
// against the in-memory store and the DynamoDB adapter.
func storeSuite(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	created := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	t.Run("a created user reads back with empty interests, and its id is taken", func(t *testing.T) {
		st := newStore(t)
		if err := st.Create(ctx, User{ID: "u", Interests: []string{}, Learned: map[string]float64{}, CreatedAt: created}); err != nil {
			t.Fatal(err)
		}
		u, err := st.Get(ctx, "u")
		if err != nil || u.ID != "u" || u.Interests == nil || len(u.Interests) != 0 || u.Learned == nil || u.LearnedThrough != "" || !u.CreatedAt.Equal(created) {
			t.Fatalf("Get = %+v, %v", u, err)
		}
		if err := st.Create(ctx, User{ID: "u", CreatedAt: created}); !errors.Is(err, ErrExists) {
			t.Errorf("a second Create of the same id: %v, want ErrExists", err)
		}
	})
	t.Run("an unknown user is ErrNotFound and setting its interests creates nothing", func(t *testing.T) {
		st := newStore(t)
		if _, err := st.Get(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get: %v", err)
		}
		if err := st.SetInterests(ctx, "nobody", []string{"tech"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("SetInterests: %v", err)
		}
		if err := st.SetLearned(ctx, "nobody", map[string]float64{"tech": 1}, "2026120108", ""); !errors.Is(err, ErrConflict) {
			t.Errorf("SetLearned: %v, want ErrConflict", err)
		}
		if _, err := st.Get(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get after the writes: %v", err)
		}
	})
	t.Run("interests are replaced, and cleared to an empty list", func(t *testing.T) {
		st := newStore(t)
		_ = st.Create(ctx, User{ID: "u", Interests: []string{}, Learned: map[string]float64{}, CreatedAt: created})
		if err := st.SetInterests(ctx, "u", []string{"sports", "tech"}); err != nil {
			t.Fatal(err)
		}
		if u, _ := st.Get(ctx, "u"); len(u.Interests) != 2 || u.Interests[0] != "sports" || u.Interests[1] != "tech" {
			t.Errorf("interests %v", u.Interests)
		}
		if err := st.SetInterests(ctx, "u", []string{}); err != nil {
			t.Fatal(err)
		}
		if u, _ := st.Get(ctx, "u"); u.Interests == nil || len(u.Interests) != 0 {
			t.Errorf("cleared interests read %#v, want []", u.Interests)
		}
	})
	t.Run("learned weights are written only over the hour the writer read", func(t *testing.T) {
		st := newStore(t)
		_ = st.Create(ctx, User{ID: "u", Interests: []string{}, Learned: map[string]float64{}, CreatedAt: created})
		if err := st.SetLearned(ctx, "u", map[string]float64{"tech": 1}, "2026120108", "2026120100"); !errors.Is(err, ErrConflict) {
			t.Errorf("over a wrong previous hour: %v, want ErrConflict", err)
		}
		if err := st.SetLearned(ctx, "u", map[string]float64{"tech": 1}, "2026120108", ""); err != nil {
			t.Fatal(err)
		}
		if err := st.SetLearned(ctx, "u", map[string]float64{"tech": 9}, "2026120109", ""); !errors.Is(err, ErrConflict) {
			t.Errorf("a second first write: %v, want ErrConflict", err)
		}
		if err := st.SetLearned(ctx, "u", map[string]float64{"tech": 2, "news": 0.5}, "2026120109", "2026120108"); err != nil {
			t.Fatal(err)
		}
		u, err := st.Get(ctx, "u")
		if err != nil || u.LearnedThrough != "2026120109" || len(u.Learned) != 2 || u.Learned["tech"] != 2 || u.Learned["news"] != 0.5 {
			t.Errorf("Get = %+v, %v", u, err)
		}
	})
	t.Run("of writers racing over the same hour exactly one wins", func(t *testing.T) {
		st := newStore(t)
		_ = st.Create(ctx, User{ID: "u", Interests: []string{}, Learned: map[string]float64{}, CreatedAt: created})
		var wins sync.WaitGroup
		results := make(chan error, 4)
		for i := range 4 {
			wins.Go(func() {
				results <- st.SetLearned(ctx, "u", map[string]float64{"tech": float64(i + 1)}, "2026120108", "")
			})
		}
		wins.Wait()
		close(results)
		won := 0
		for err := range results {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, ErrConflict):
				t.Errorf("a losing writer: %v", err)
			}
		}
		if won != 1 {
			t.Errorf("%d writers won, want 1", won)
		}
	})
}

// sessionSuite is what the service and the authorizer rely on from a
// SessionStore, against both stores; now is the stores' clock.
func sessionSuite(t *testing.T, newSessions func(t *testing.T, now func() time.Time) SessionStore) {
	ctx := context.Background()
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	t.Run("a refresh token reads back, is used once, and its hash is never overwritten", func(t *testing.T) {
		now := start
		s := newSessions(t, func() time.Time { return now })
		rt := RefreshToken{Hash: "h1", UserID: "u", Session: "s", ExpiresAt: start.Add(RefreshTTL)}
		if err := s.Add(ctx, rt); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(ctx, RefreshToken{Hash: "h1", UserID: "thief", Session: "x", ExpiresAt: start.Add(RefreshTTL)}); !errors.Is(err, ErrExists) {
			t.Errorf("a second Add of the same hash: %v, want ErrExists", err)
		}
		got, err := s.Token(ctx, "h1")
		if err != nil || got.UserID != "u" || got.Session != "s" || !got.ExpiresAt.Equal(rt.ExpiresAt) {
			t.Fatalf("Token = %+v, %v", got, err)
		}
		if _, err := s.Token(ctx, "unknown"); !errors.Is(err, ErrNotFound) {
			t.Errorf("an unknown token: %v", err)
		}
		if err := s.Use(ctx, "h1", now); err != nil {
			t.Fatal(err)
		}
		if err := s.Use(ctx, "h1", now); !errors.Is(err, ErrUsed) {
			t.Errorf("a second Use: %v, want ErrUsed", err)
		}
		if err := s.Use(ctx, "unknown", now); !errors.Is(err, ErrUsed) {
			t.Errorf("using an unknown token: %v, want ErrUsed", err)
		}
	})
	t.Run("of uses racing for one token exactly one wins", func(t *testing.T) {
		s := newSessions(t, func() time.Time { return start })
		_ = s.Add(ctx, RefreshToken{Hash: "h", UserID: "u", Session: "s", ExpiresAt: start.Add(RefreshTTL)})
		var wg sync.WaitGroup
		results := make(chan error, 4)
		for range 4 {
			wg.Go(func() { results <- s.Use(ctx, "h", start) })
		}
		wg.Wait()
		close(results)
		won := 0
		for err := range results {
			if err == nil {
				won++
			} else if !errors.Is(err, ErrUsed) {
				t.Errorf("a losing use: %v", err)
			}
		}
		if won != 1 {
			t.Errorf("%d uses won, want 1", won)
		}
	})
	t.Run("a session is live until it ends or expires, and is never replaced", func(t *testing.T) {
		now := start
		s := newSessions(t, func() time.Time { return now })
		isLive := func(user, session string) bool {
			t.Helper()
			ok, err := s.Live(ctx, user, session)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if isLive("u", "s") {
			t.Error("a session never started is live")
		}
		if err := s.Start(ctx, "u", "s", start.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.Start(ctx, "u", "other", start.Add(time.Hour)); !errors.Is(err, ErrExists) {
			t.Errorf("a second Start: %v, want ErrExists", err)
		}
		if !isLive("u", "s") || isLive("u", "other") || isLive("v", "s") {
			t.Error("only u's session s should be live")
		}
		if err := s.Extend(ctx, "u", "other", start.Add(2*time.Hour)); !errors.Is(err, ErrNotFound) {
			t.Errorf("extending another session: %v, want ErrNotFound", err)
		}
		if err := s.Extend(ctx, "u", "s", start.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		now = start.Add(90 * time.Minute)
		if !isLive("u", "s") {
			t.Error("the extended session is not live before its new end")
		}
		now = start.Add(2 * time.Hour)
		if isLive("u", "s") {
			t.Error("the session is live at its end")
		}
		if err := s.Extend(ctx, "u", "s", now.Add(time.Hour)); !errors.Is(err, ErrNotFound) {
			t.Errorf("extending an expired session: %v, want ErrNotFound", err)
		}
	})
	t.Run("ending a session ends only the one named, or whichever is live", func(t *testing.T) {
		s := newSessions(t, func() time.Time { return start })
		_ = s.Start(ctx, "u", "s", start.Add(time.Hour))
		if err := s.End(ctx, "u", "other"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.Live(ctx, "u", "s"); !ok {
			t.Error("ending another session ended this one")
		}
		if err := s.End(ctx, "u", ""); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.Live(ctx, "u", "s"); ok {
			t.Error("the session is live after End")
		}
		if err := s.End(ctx, "u", ""); err != nil {
			t.Errorf("ending twice: %v", err)
		}
		if err := s.Start(ctx, "u", "s2", start.Add(time.Hour)); err != nil {
			t.Errorf("starting again after the end: %v", err)
		}
	})
}

func TestMemoryStoreKeepsUsersAsTheDynamoStoreDoes(t *testing.T) {
	storeSuite(t, func(*testing.T) Store { return NewMemoryStore() })
}

func TestDynamoStoreKeepsUsers(t *testing.T) {
	storeSuite(t, func(t *testing.T) Store { return NewDynamoStore(dynamotest.Table(t, contract.UsersTable)) })
}

// TestTheDynamoStoreReadsAUserConsistently: the service announces what it
// reads back after a write as the newest profile, so the read must see the
// write. dynalite is always consistent; the request is what AWS reads.
func TestTheDynamoStoreReadsAUserConsistently(t *testing.T) {
	table := dynamotest.Table(t, contract.UsersTable)
	var mu sync.Mutex
	var gets []string
	db := dynamodb.New(dynamodb.Options{Region: dynalite.Region, BaseEndpoint: aws.String(dynamotest.URL(t)),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		HTTPClient: recordingClient(func(target string, body []byte) {
			if strings.HasSuffix(target, ".GetItem") {
				mu.Lock()
				gets = append(gets, string(body))
				mu.Unlock()
			}
		})})
	st := NewDynamoStore(dynamo.NewFromIface(db).Table(table.Name()))
	ctx := context.Background()
	if err := st.Create(ctx, User{ID: "u", Interests: []string{}, Learned: map[string]float64{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(gets) != 1 || !strings.Contains(gets[0], `"ConsistentRead":true`) {
		t.Errorf("GetItem requests %q, want one with ConsistentRead", gets)
	}
}

// recordingClient passes each request on after seeing its X-Amz-Target and
// body.
type recordingClient func(target string, body []byte)

func (f recordingClient) Do(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	f(r.Header.Get("X-Amz-Target"), body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return http.DefaultClient.Do(r)
}

func TestMemorySessionsKeepSessionsAsTheDynamoSessionsDo(t *testing.T) {
	sessionSuite(t, func(_ *testing.T, now func() time.Time) SessionStore { return NewMemorySessions(now) })
}

func TestDynamoSessionsKeepSessions(t *testing.T) {
	sessionSuite(t, func(t *testing.T, now func() time.Time) SessionStore {
		return NewDynamoSessions(dynamotest.Table(t, contract.SessionsTable), now)
	})
}
