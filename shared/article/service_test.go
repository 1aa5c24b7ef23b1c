package article

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/page"
)

// withGoodSource is a service on a memory store holding the source "good".
func withGoodSource(t *testing.T) (*Service, SourceInput) {
	t.Helper()
	s := &Service{Store: newMemory(t)}
	w := 1.0
	good := SourceInput{ID: "good", URL: "https://a.example/feed", Name: "Good", Category: "tech", Weight: &w}
	if _, err := s.CreateSource(context.Background(), good); err != nil {
		t.Fatal(err)
	}
	return s, good
}

func TestServiceRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	s, good := withGoodSource(t)
	first, _ := s.ListArticles(ctx, "", "", "")
	tampered := base64.RawURLEncoding.EncodeToString([]byte("v1||2026-01-01T00:00:00.000000000Z#zz"))
	otherList := base64.RawURLEncoding.EncodeToString([]byte("v1|world|2026-01-01T00:00:00.000000000Z#" + IDFor("x")))
	cases := []struct {
		name string
		call func() error
		code string
	}{
		{"a bad category", func() error { _, err := s.ListArticles(ctx, "Tech!", "", ""); return err }, kiosk.EINVALID},
		{"a zero limit", func() error { _, err := s.ListArticles(ctx, "", "0", ""); return err }, kiosk.EINVALID},
		{"a huge limit", func() error { _, err := s.ListArticles(ctx, "", "99999999999999999999", ""); return err }, kiosk.EINVALID},
		{"a non-numeric limit", func() error { _, err := s.ListArticles(ctx, "", "ten", ""); return err }, kiosk.EINVALID},
		{"a garbage cursor", func() error { _, err := s.ListArticles(ctx, "", "", "!!!"); return err }, kiosk.EINVALID},
		{"a tampered cursor", func() error { _, err := s.ListArticles(ctx, "", "", tampered); return err }, kiosk.EINVALID},
		{"another list's cursor", func() error { _, err := s.ListArticles(ctx, "tech", "", otherList); return err }, kiosk.EINVALID},
		{"another category's cursor", func() error {
			_, err := s.ListArticles(ctx, "tech", "", page.Cursor("articles|world", "2026-01-01T00:00:00.000000000Z#"+IDFor("x")))
			return err
		}, kiosk.EINVALID},
		{"a cursor holding something else than a list key", func() error {
			_, err := s.ListArticles(ctx, "tech", "", page.Cursor("articles|tech", "../../etc"))
			return err
		}, kiosk.EINVALID},
		{"an editors' list cursor of another filter", func() error {
			_, err := s.AdminArticles(ctx, "tech", "no", page.Cursor("admin-articles|tech|yes", "2026-01-01T00:00:00.000000000Z#"+IDFor("x")), 10)
			return err
		}, kiosk.EINVALID},
		{"an editors' list cursor in the old raw-key form", func() error {
			_, err := s.AdminArticles(ctx, "", "", "2026-01-01T00:00:00.000000000Z#"+IDFor("x"), 10)
			return err
		}, kiosk.EINVALID},
		{"a public list's cursor on the editors' list", func() error {
			_, err := s.AdminArticles(ctx, "", "", page.Cursor("articles|", "2026-01-01T00:00:00.000000000Z#"+IDFor("x")), 10)
			return err
		}, kiosk.EINVALID},
		{"an editors' list with a bad hidden filter", func() error { _, err := s.AdminArticles(ctx, "", "maybe", "", 10); return err }, kiosk.EINVALID},
		{"a malformed article id", func() error { _, err := s.GetArticle(ctx, "../../etc"); return err }, kiosk.EINVALID},
		{"an unknown article", func() error { _, err := s.GetArticle(ctx, IDFor("none")); return err }, kiosk.ENOTFOUND},
		{"a source without a weight", func() error {
			in := good
			in.ID, in.Weight = "x1", nil
			_, err := s.CreateSource(ctx, in)
			return err
		}, kiosk.EINVALID},
		{"a source weighing NaN", func() error {
			in, nan := good, math.NaN()
			in.ID, in.Weight = "x3", &nan
			_, err := s.CreateSource(ctx, in)
			return err
		}, kiosk.EINVALID},
		{"an update to a weight of NaN", func() error {
			in, nan := good, math.NaN()
			in.Weight = &nan
			_, err := s.UpdateSource(ctx, "good", in)
			return err
		}, kiosk.EINVALID},
		{"a source weighing +Inf", func() error {
			in, inf := good, math.Inf(1)
			in.ID, in.Weight = "x4", &inf
			_, err := s.CreateSource(ctx, in)
			return err
		}, kiosk.EINVALID},
		{"a source weighing less than DynamoDB can store", func() error {
			in, tiny := good, 1e-131
			in.ID, in.Weight = "x5", &tiny
			_, err := s.CreateSource(ctx, in)
			return err
		}, kiosk.EINVALID},
		{"a source weighing under the minimum", func() error {
			in, w := good, 0.09
			in.ID, in.Weight = "x6", &w
			_, err := s.CreateSource(ctx, in)
			return err
		}, kiosk.EINVALID},
		{"a source name of 101 characters", func() error {
			in := good
			in.ID, in.Name = "x7", strings.Repeat("é", 101)
			_, err := s.CreateSource(ctx, in)
			return err
		}, kiosk.EINVALID},
		{"a source with a javascript URL", func() error {
			in := good
			in.ID, in.URL = "x2", "javascript:alert(1)"
			_, err := s.CreateSource(ctx, in)
			return err
		}, kiosk.EINVALID},
		{"a source with a bad id", func() error {
			in := good
			in.ID = "Bad ID/.."
			_, err := s.CreateSource(ctx, in)
			return err
		}, kiosk.EINVALID},
		{"a duplicate source", func() error { _, err := s.CreateSource(ctx, good); return err }, kiosk.ECONFLICT},
		{"an update whose body names another id", func() error {
			in := good
			in.ID = "other"
			_, err := s.UpdateSource(ctx, "good", in)
			return err
		}, kiosk.EINVALID},
		{"an update of a missing source", func() error {
			in := good
			in.ID = ""
			_, err := s.UpdateSource(ctx, "missing", in)
			return err
		}, kiosk.ENOTFOUND},
		{"a delete of a missing source", func() error { return s.DeleteSource(ctx, "missing") }, kiosk.ENOTFOUND},
	}
	for _, c := range cases {
		t.Run("it refuses "+c.name, func(t *testing.T) {
			if got := kiosk.ErrorCode(c.call()); got != c.code {
				t.Errorf("code = %q, want %q", got, c.code)
			}
		})
	}
	list, _ := s.ListSources(ctx)
	if len(list) != 1 || list[0].Weight != 1 || len(first.Items) != 0 {
		t.Errorf("refused calls wrote something: %d sources", len(list))
	}
}

func TestCursorRoundTrip(t *testing.T) {
	ctx := context.Background()
	st := newMemory(t)
	s := &Service{Store: st}
	for i := range 5 {
		_ = st.PutArticle(ctx, art(i, "tech", t0))
	}
	p1, err := s.ListArticles(ctx, "tech", "2", "")
	if err != nil || p1.NextCursor == "" {
		t.Fatalf("page 1: %+v %v", p1, err)
	}
	p2, err := s.ListArticles(ctx, "tech", "2", p1.NextCursor)
	if err != nil || len(p2.Items) != 2 || p2.Items[0].ID == p1.Items[0].ID {
		t.Errorf("page 2: %+v %v", p2, err)
	}
	if _, err := s.ListArticles(ctx, "", "2", p1.NextCursor); kiosk.ErrorCode(err) != kiosk.EINVALID {
		t.Errorf("the tech list's cursor on the overall list: %v, want invalid", err)
	}
	if strings.Contains(p1.NextCursor, "#") || strings.Contains(p1.NextCursor, "2026") {
		t.Errorf("the cursor shows its position: %s", p1.NextCursor)
	}
}

// TestTheEditorsListPagesWithinItsFilter: the editors' list pages through
// every article of a filter, hidden ones included, newest ingested first,
// each once; its cursor is opaque and bound to the filter.
func TestTheEditorsListPagesWithinItsFilter(t *testing.T) {
	ctx := context.Background()
	st := newMemory(t)
	s := &Service{Store: st, Now: func() time.Time { return t0 }}
	yes, no := true, false
	var hidden []string
	for i := range 9 {
		a := art(i, []string{"tech", "world"}[i%3/2], t0)
		a.IngestedAt = t0.Add(time.Duration(i) * time.Second)
		_ = st.PutArticle(ctx, a)
		if i%2 == 0 {
			if _, err := s.Moderate(ctx, a.ID, ModerationInput{Hidden: &yes, Pinned: &no}); err != nil {
				t.Fatal(err)
			}
			if a.Category == "tech" {
				hidden = append(hidden, a.Title)
			}
		}
	}
	var got []string
	cursor := ""
	for range 10 {
		p, err := s.AdminArticles(ctx, "tech", "yes", cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Items {
			got = append(got, a.Title)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
		if strings.Contains(cursor, "#") {
			t.Fatalf("the cursor shows its position: %s", cursor)
		}
		if _, err := s.AdminArticles(ctx, "tech", "no", cursor, 2); kiosk.ErrorCode(err) != kiosk.EINVALID {
			t.Errorf("a hidden-only cursor on the visible list: %v, want invalid", err)
		}
	}
	slices.Reverse(hidden)
	if fmt.Sprint(got) != fmt.Sprint(hidden) {
		t.Errorf("hidden tech articles = %v, want %v", got, hidden)
	}
}

func TestServiceErrorsSayWhatIsMissingOrTaken(t *testing.T) {
	ctx := context.Background()
	s, good := withGoodSource(t)
	missing := IDFor("none")
	hidden := art(1, "tech", t0)
	_ = s.Store.PutArticle(ctx, hidden)
	yes := true
	if _, err := s.Moderate(ctx, hidden.ID, ModerationInput{Hidden: &yes, Pinned: &yes}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"an unknown article", func() error { _, err := s.GetArticle(ctx, missing); return err }, kiosk.ENOTFOUND, "no article " + missing},
		{"a hidden article", func() error { _, err := s.GetArticle(ctx, hidden.ID); return err }, kiosk.ENOTFOUND, "no article " + hidden.ID},
		{"moderating an unknown article", func() error {
			yes := true
			_, err := s.Moderate(ctx, missing, ModerationInput{Hidden: &yes, Pinned: &yes})
			return err
		}, kiosk.ENOTFOUND, "no article " + missing},
		{"a taken source id", func() error { _, err := s.CreateSource(ctx, good); return err }, kiosk.ECONFLICT, "source good already exists"},
		{"an unknown source", func() error { _, err := s.GetSource(ctx, "missing"); return err }, kiosk.ENOTFOUND, "no source missing"},
		{"updating an unknown source", func() error {
			in := good
			in.ID = ""
			_, err := s.UpdateSource(ctx, "missing", in)
			return err
		}, kiosk.ENOTFOUND, "no source missing"},
		{"deleting an unknown source", func() error { return s.DeleteSource(ctx, "missing") }, kiosk.ENOTFOUND, "no source missing"},
	}
	for _, c := range cases {
		t.Run(c.name+" is "+c.code+": "+c.msg, func(t *testing.T) {
			err := c.call()
			if got := kiosk.ErrorCode(err); got != c.code || kiosk.ErrorMessage(err) != c.msg {
				t.Errorf("got %s %q, want %s %q", got, kiosk.ErrorMessage(err), c.code, c.msg)
			}
		})
	}
}

// TestEveryEditorChangeIsAuditedAfterItIsStored: creating, updating,
// refetching and deleting a source and moderating an article each leave one
// record with the state before and after; a refused change leaves none; when
// the record cannot be written the caller is told (unavailable) and the
// change stays.
func TestEveryEditorChangeIsAuditedAfterItIsStored(t *testing.T) {
	ctx := context.Background()
	st := newMemory(t)
	var log []string
	auditDown := false
	s := &Service{Store: st, Now: func() time.Time { return t0 }, Audit: func(ctx context.Context, c Change) error {
		if auditDown {
			return errors.New("console table unavailable")
		}
		before, _ := json.Marshal(c.Before)
		after, _ := json.Marshal(c.After)
		log = append(log, fmt.Sprintf("%s %s %s → %s", c.Action, c.Target, before, after))
		return nil
	}}
	w, w2 := 1.0, 2.0
	in := SourceInput{ID: "desk", URL: "https://a.example/feed", Name: "Desk", Category: "tech", Weight: &w}
	if _, err := s.CreateSource(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSource(ctx, in); kiosk.ErrorCode(err) != kiosk.ECONFLICT {
		t.Fatalf("duplicate: %v", err)
	}
	in.Weight = &w2
	if _, err := s.UpdateSource(ctx, "desk", in); err != nil {
		t.Fatal(err)
	}
	a := art(1, "tech", t0)
	_ = st.PutArticle(ctx, a)
	yes, no := true, false
	if _, err := s.Moderate(ctx, a.ID, ModerationInput{Hidden: &yes, Pinned: &no}); err != nil {
		t.Fatal(err)
	}
	recordFetch(t, st, "desk", FetchState{LastChecked: t0, NextFetchAt: t0.Add(4 * time.Hour)})
	if _, err := s.RefetchSource(ctx, "desk"); kiosk.ErrorCode(err) != kiosk.ECONFLICT ||
		kiosk.ErrorMessage(err) != "the source is not failing; it is fetched at its next_fetch_at, or on the next run if it has none" {
		t.Fatalf("refetch a source that is not failing: %v, want a conflict saying why", err)
	}
	recordFetch(t, st, "desk", FetchState{LastChecked: t0, ConsecutiveFailures: 1, LastError: "timeout", NextFetchAt: t0.Add(15 * time.Minute)})
	if _, err := s.RefetchSource(ctx, "desk"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSource(ctx, "desk"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSource(ctx, "desk"); kiosk.ErrorCode(err) != kiosk.ENOTFOUND {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.RefetchSource(ctx, "desk"); kiosk.ErrorCode(err) != kiosk.ENOTFOUND {
		t.Fatalf("refetch a deleted source: %v", err)
	}
	want := []string{
		`source.create desk null → {"id":"desk","url":"https://a.example/feed","category":"tech","weight":1,"name":"Desk","consecutive_failures":0,"created_at":"2026-11-25T12:00:00Z","updated_at":"2026-11-25T12:00:00Z"}`,
		`source.update desk {"id":"desk","url":"https://a.example/feed","category":"tech","weight":1,"name":"Desk","consecutive_failures":0,"created_at":"2026-11-25T12:00:00Z","updated_at":"2026-11-25T12:00:00Z"} → {"id":"desk","url":"https://a.example/feed","category":"tech","weight":2,"name":"Desk","consecutive_failures":0,"created_at":"2026-11-25T12:00:00Z","updated_at":"2026-11-25T12:00:00Z"}`,
		`article.moderate ` + a.ID + ` {"hidden":false,"pinned":false} → {"hidden":true,"pinned":false}`,
		`source.refetch desk {"id":"desk","url":"https://a.example/feed","category":"tech","weight":2,"name":"Desk","last_checked":"2026-11-25T12:00:00Z","consecutive_failures":1,"last_error":"timeout","next_fetch_at":"2026-11-25T12:15:00Z","created_at":"2026-11-25T12:00:00Z","updated_at":"2026-11-25T12:00:00Z"} → {"id":"desk","url":"https://a.example/feed","category":"tech","weight":2,"name":"Desk","last_checked":"2026-11-25T12:00:00Z","consecutive_failures":1,"last_error":"timeout","created_at":"2026-11-25T12:00:00Z","updated_at":"2026-11-25T12:00:00Z"}`,
		`source.delete desk {"id":"desk","url":"https://a.example/feed","category":"tech","weight":2,"name":"Desk","last_checked":"2026-11-25T12:00:00Z","consecutive_failures":1,"last_error":"timeout","created_at":"2026-11-25T12:00:00Z","updated_at":"2026-11-25T12:00:00Z"} → null`,
	}
	if strings.Join(log, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(log, "\n"), strings.Join(want, "\n"))
	}
	auditDown = true
	in.ID = "desk2"
	if _, err := s.CreateSource(ctx, in); kiosk.ErrorCode(err) != kiosk.EUNAVAILABLE {
		t.Errorf("an unaudited change: %v, want unavailable", err)
	}
	if _, err := s.GetSource(ctx, "desk2"); err != nil {
		t.Errorf("the change whose record failed is not kept: %v", err)
	}
}

// fetchedMeanwhile is the memory store where an ingestion run records a
// failed fetch of the source right after anyone reads it.
type fetchedMeanwhile struct{ *MemoryStore }

func (m fetchedMeanwhile) GetSource(ctx context.Context, id string) (Source, error) {
	src, err := m.MemoryStore.GetSource(ctx, id)
	st := src.FetchState
	st.ConsecutiveFailures++
	_ = m.RecordFetch(ctx, src, st)
	return src, err
}

// TestARefetchIsAuditedAsItsOneWriteFoundTheSource: the audit record's
// before is the source the write changed, not an earlier read a fetch
// recorded meanwhile made stale, and its after is the source as stored.
func TestARefetchIsAuditedAsItsOneWriteFoundTheSource(t *testing.T) {
	ctx := context.Background()
	st := newMemory(t)
	_ = st.PutSource(ctx, Source{ID: "desk", URL: "https://a.example/feed", Name: "Desk", Category: "tech", Weight: 1, CreatedAt: t0, UpdatedAt: t0})
	recordFetch(t, st, "desk", FetchState{LastChecked: t0, ConsecutiveFailures: 1, LastError: "timeout", NextFetchAt: t0.Add(15 * time.Minute)})
	var changes []Change
	s := &Service{Store: fetchedMeanwhile{st}, Audit: func(_ context.Context, c Change) error {
		changes = append(changes, c)
		return nil
	}}
	got, err := s.RefetchSource(ctx, "desk")
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := st.GetSource(ctx, "desk")
	if got != stored {
		t.Errorf("returned %+v, stored %+v", got, stored)
	}
	if len(changes) != 1 {
		t.Fatalf("audited %d changes, want 1", len(changes))
	}
	before, after := changes[0].Before.(Source), changes[0].After.(Source)
	was := stored
	was.NextFetchAt, was.Refetches = before.NextFetchAt, stored.Refetches-1
	if after != stored || before != was || before.NextFetchAt.IsZero() {
		t.Errorf("audited %+v → %+v\nwant the source the write found → %+v", before, after, stored)
	}
}

// racingStore is the memory store with every editorial change losing a
// race, as the conditional write does when another change lands between
// the service's read and its write.
type racingStore struct{ *MemoryStore }

func (racingStore) SaveEditorial(_ context.Context, a Article, _ time.Time) error {
	return conflict("article %s was moderated concurrently; try again", a.ID)
}

func TestAModerationThatLostARaceIsAConflictToRepeat(t *testing.T) {
	pub := &recorder{}
	st := newMemory(t)
	a := art(1, "tech", t0)
	_ = st.PutArticle(context.Background(), a)
	s := &Service{Store: racingStore{st}, Events: pub}
	yes := true
	id := a.ID
	_, err := s.Moderate(context.Background(), id, ModerationInput{Hidden: &yes, Pinned: &yes})
	if kiosk.ErrorCode(err) != kiosk.ECONFLICT || kiosk.ErrorMessage(err) != "article "+id+" was moderated concurrently; try again" {
		t.Errorf("got %s %q, want a conflict saying to try again", kiosk.ErrorCode(err), kiosk.ErrorMessage(err))
	}
	if pub.calls != 0 {
		t.Error("a moderation that was not stored was announced")
	}
}

// TestALimitPastTheMaximumIsRefusedNotClamped: no limit is a page of
// DefaultLimit; a limit that is no whole number from 1 to MaxLimit is
// refused (the spec's maximum is a bound).
func TestALimitPastTheMaximumIsRefusedNotClamped(t *testing.T) {
	ctx := context.Background()
	st := newMemory(t)
	for i := range MaxLimit + 5 {
		_ = st.PutArticle(ctx, art(i, "tech", t0.Add(time.Duration(i)*time.Second)))
	}
	s := &Service{Store: st}
	for limit, want := range map[string]int{"": DefaultLimit, "1": 1, "100": MaxLimit} {
		if p, err := s.ListArticles(ctx, "tech", limit, ""); err != nil || len(p.Items) != want {
			t.Errorf("limit %q: %d items, %v; want %d", limit, len(p.Items), err, want)
		}
	}
	for _, limit := range []string{"0", "-1", "1.5", "ten", "99999999999999999999", " 5", "101", "5000"} {
		if _, err := s.ListArticles(ctx, "tech", limit, ""); kiosk.ErrorCode(err) != kiosk.EINVALID {
			t.Errorf("limit %q: %v, want invalid", limit, err)
		}
	}
}

// TestASourceNameIsCountedInCharactersAndItsWeightAtItsBounds: the spec's
// maxLength counts characters, so 100 two- or four-byte ones are a name; the
// weight's bounds are accepted.
func TestASourceNameIsCountedInCharactersAndItsWeightAtItsBounds(t *testing.T) {
	ctx := context.Background()
	s := &Service{Store: newMemory(t)}
	for i, c := range []struct {
		name   string
		weight float64
	}{{strings.Repeat("é", 100), MinWeight}, {strings.Repeat("😀", 100), MaxWeight}} {
		w := c.weight
		in := SourceInput{ID: fmt.Sprintf("s%d", i), URL: fmt.Sprintf("https://a%d.example/feed", i), Name: c.name, Category: "tech", Weight: &w}
		if _, err := s.CreateSource(ctx, in); err != nil {
			t.Errorf("%q at %g: %v", c.name[:8], w, err)
		}
	}
}
