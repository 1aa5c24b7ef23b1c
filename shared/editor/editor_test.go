package editor_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/editor"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func newStore(t *testing.T) *editor.Store {
	return &editor.Store{Table: dynamotest.Table(t, editor.Table), Now: func() time.Time { return t0 }}
}

func TestAnInvitationUsedConcurrentlyCreatesOneAccount(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	inv, err := s.Invite(ctx, "race@kiosk.example", editor.RoleEditor, editor.AdminToken)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 8 {
		wg.Go(func() {
			if _, err := s.Accept(ctx, inv.Token, "a long enough password"); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if c := kiosk.ErrorCode(err); c != kiosk.ENOTFOUND && c != kiosk.ECONFLICT {
				t.Errorf("a losing use: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Errorf("%d uses of one invitation succeeded, want 1", ok)
	}
	if _, err := s.Invite(ctx, "RACE@kiosk.example", editor.RoleOperator, editor.AdminToken); kiosk.ErrorCode(err) != kiosk.ECONFLICT {
		t.Errorf("inviting an existing account: %v, want conflict", err)
	}
}

func TestBadInvitationsAndPasswordsAreRefused(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	for _, c := range []struct{ email, role string }{{"not-an-address", "editor"}, {"a@b.example", "admin"}, {strings.Repeat("a", 100) + "@x.example", "editor"}, {"", ""}} {
		if _, err := s.Invite(ctx, c.email, c.role, "op"); kiosk.ErrorCode(err) != kiosk.EINVALID {
			t.Errorf("invite %q as %q: %v", c.email, c.role, err)
		}
	}
	inv, _ := s.Invite(ctx, "pat@kiosk.example", editor.RoleEditor, "op")
	for _, pw := range []string{"short", strings.Repeat("x", 73), "i am PAT@kiosk.example, hi"} {
		if _, err := s.Accept(ctx, inv.Token, pw); kiosk.ErrorCode(err) != kiosk.EINVALID {
			t.Errorf("password %q: %v", pw, err)
		}
	}
	if _, err := s.Accept(ctx, inv.Token, "a good password here"); err != nil {
		t.Errorf("the invitation was spent by refused passwords: %v", err)
	}
	for _, tok := range []string{"", "x", strings.Repeat("A", 43), strings.Repeat("!", 43), inv.Token} {
		if _, err := s.Accept(ctx, tok, "a good password here"); kiosk.ErrorCode(err) != kiosk.ENOTFOUND {
			t.Errorf("token %q: %v", tok, err)
		}
	}
}

func TestAuditRecordsAreOneBoundedItemKeptOverAYear(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	huge := strings.Repeat("x", 1<<20)
	if err := s.Audit(ctx, editor.Record{Actor: huge, Action: huge, Target: huge, Before: huge, After: huge, RequestID: huge}); err != nil {
		t.Fatalf("a huge record: %v", err)
	}
	var items []map[string]any
	if err := s.Table.Scan().All(ctx, &items); err != nil || len(items) != 1 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	size := 0
	for k, v := range items[0] {
		if str, ok := v.(string); ok {
			size += len(k) + len(str)
		}
	}
	if size > 12<<10 {
		t.Errorf("the record's item is %d bytes: it grows with input", size)
	}
	exp, _ := items[0]["expires_at"].(float64)
	if keep := time.Unix(int64(exp), 0).Sub(t0); keep < 366*24*time.Hour {
		t.Errorf("kept %v, want at least 366 days", keep)
	}
	for i := range 5 {
		_ = s.Audit(ctx, editor.Record{At: t0.Add(time.Duration(i) * time.Second), Actor: []string{"a", "b"}[i%2], Action: "source.update", Target: "s"})
	}
	p, err := s.AuditLog(ctx, editor.AuditFilter{Actor: "a"}, "", 2)
	if err != nil || len(p.Items) != 2 || p.Items[0].At.Before(p.Items[1].At) || p.NextCursor == "" {
		t.Fatalf("page 1: %+v %v", p, err)
	}
	p2, err := s.AuditLog(ctx, editor.AuditFilter{Actor: "a"}, p.NextCursor, 2)
	if err != nil || len(p2.Items) != 1 || p2.NextCursor != "" || !p2.Items[0].At.Equal(t0) {
		t.Errorf("page 2: %+v %v", p2, err)
	}
	for _, c := range []string{"zz", "2026-12-01T09:00:00Z#x", strings.Repeat("1", 500)} {
		if _, err := s.AuditLog(ctx, editor.AuditFilter{}, c, 10); kiosk.ErrorCode(err) != kiosk.EINVALID {
			t.Errorf("cursor %q: %v", c, err)
		}
	}
}

func TestRemovingAnAccountVoidsItsOlderInvitations(t *testing.T) {
	now := t0
	s := &editor.Store{Table: dynamotest.Table(t, editor.Table), Now: func() time.Time { return now }}
	ctx := context.Background()
	const who = "gone@kiosk.example"
	first, err := s.Invite(ctx, who, editor.RoleEditor, editor.AdminToken)
	if err != nil {
		t.Fatal(err)
	}
	spare, err := s.Invite(ctx, who, editor.RoleOperator, editor.AdminToken) // a second link, as an operator re-sends one
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Accept(ctx, first.Token, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if _, err := s.Remove(ctx, who); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if e, err := s.Accept(ctx, spare.Token, "another long password"); kiosk.ErrorCode(err) != kiosk.ENOTFOUND {
		t.Fatalf("a removed editor joined again with an older link: %+v, %v; want not found", e, err)
	}
	again, err := s.Invite(ctx, who, editor.RoleEditor, editor.AdminToken) // invited anew after the removal
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Accept(ctx, again.Token, "a third long password"); err != nil {
		t.Errorf("an invitation sent after the removal: %v, want it to work", err)
	}
}

func TestAPasswordsMinimumCountsCharactersNotBytes(t *testing.T) {
	if err := editor.CheckPassword(strings.Repeat("é", editor.MinPassword-1), "ed@example.org"); kiosk.ErrorCode(err) != kiosk.EINVALID {
		t.Errorf("%d two-byte characters: %v, want refused", editor.MinPassword-1, err)
	}
	if err := editor.CheckPassword(strings.Repeat("é", editor.MinPassword), "ed@example.org"); err != nil {
		t.Errorf("%d two-byte characters: %v", editor.MinPassword, err)
	}
	if err := editor.CheckPassword(strings.Repeat("é", editor.MaxPassword/2+1), "ed@example.org"); kiosk.ErrorCode(err) != kiosk.EINVALID {
		t.Errorf("over bcrypt's %d bytes: %v, want refused", editor.MaxPassword, err)
	}
}

// TestAPasswordMustNotContainTheAddress: the whole address is refused in a
// password whatever its length, and the name before the @ when it has at
// least editor.MinNameInPassword characters; a shorter name ("ed") is in too
// many words to refuse them all, and guessing it adds next to nothing.
func TestAPasswordMustNotContainTheAddress(t *testing.T) {
	for _, tc := range []struct {
		password, email string
		refused         bool
	}{
		{"EditorPass12345", "ed@example.org", false},       // "ed" is in "Editor": a two-letter name is not refused
		{"my-ed@example.org-pass", "ed@example.org", true}, // the whole address is
		{"MY-ED@EXAMPLE.ORG-PASS", "ed@example.org", true}, // in any case
		{"abcdefghijk-bob", "bob@example.org", false},      // three letters: not refused
		{"long password for jane", "jane@example.org", true},
		{"long password for JaNe", "jane@example.org", true},
		{"long password for jan", "jane@example.org", false},
		{"correct horse battery", "jane@example.org", false},
	} {
		err := editor.CheckPassword(tc.password, tc.email)
		if got := kiosk.ErrorCode(err) == kiosk.EINVALID; got != tc.refused || (err != nil && !got) {
			t.Errorf("%q for %s: %v; want refused %v", tc.password, tc.email, err, tc.refused)
		}
	}
}
