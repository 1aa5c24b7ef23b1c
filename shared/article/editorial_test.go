package article

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// editorial is a service on a memory store with two stories: A (articles
// 0, 1 and 2, published a minute apart) and B (article 3 alone); it
// records what it announces and audits.
type editorial struct {
	*Service
	st    *MemoryStore
	as    []Article
	pub   *moderations
	audit []string
	now   time.Time
}

func newEditorial(t *testing.T) *editorial {
	t.Helper()
	e := &editorial{st: newMemory(t), pub: &moderations{}, now: t0.Add(time.Hour)}
	e.Service = &Service{Store: e.st, Events: e.pub, Now: func() time.Time { return e.now },
		Audit: func(_ context.Context, c Change) error {
			before, _ := json.Marshal(c.Before)
			after, _ := json.Marshal(c.After)
			e.audit = append(e.audit, fmt.Sprintf("%s %s %s → %s", c.Action, c.Target, before, after))
			return nil
		}}
	for i := range 4 {
		a := art(i, "tech", t0.Add(time.Duration(i)*time.Minute))
		if i == 1 || i == 2 {
			a.Story = e.as[0].ID
		}
		if err := e.st.PutArticle(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		e.as = append(e.as, a)
	}
	return e
}

func (e *editorial) get(t *testing.T, i int) Article {
	t.Helper()
	a, err := e.st.GetArticle(context.Background(), e.as[i].ID)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// snapshot is every article's whole state, to show a refused change changed nothing.
func (e *editorial) snapshot(t *testing.T) string {
	t.Helper()
	var out []string
	for i := range e.as {
		out = append(out, fmt.Sprintf("%+v", e.get(t, i)))
	}
	return strings.Join(out, "\n")
}

func TestServiceMovesAnArticleBetweenStories(t *testing.T) {
	ctx := context.Background()
	t.Run("a merged version split out is alone in its own story, announced with its whole state and audited", func(t *testing.T) {
		e := newEditorial(t)
		v, c, err := e.MoveToStory(ctx, e.as[1].ID, StoryInput{Story: e.as[1].ID})
		if err != nil || c == nil {
			t.Fatal(err)
		}
		if v.Story != e.as[1].ID || !v.StoryByEditor || !v.ModeratedAt.Equal(e.now) {
			t.Errorf("the version after the split: %+v", v)
		}
		st, err := e.Story(ctx, e.as[1].ID)
		if err != nil || len(st.Versions) != 1 || st.Versions[0].ID != e.as[1].ID {
			t.Errorf("its own story: %+v, %v", st, err)
		}
		if st, _ := e.Story(ctx, e.as[0].ID); len(st.Versions) != 2 {
			t.Errorf("the story it left: %+v", st)
		}
		want := []events.ArticleModerated{{ID: e.as[1].ID, Story: e.as[1].ID, At: e.now}}
		if fmt.Sprint(e.pub.got) != fmt.Sprint(want) {
			t.Errorf("announced %+v, want %+v", e.pub.got, want)
		}
		wantAudit := fmt.Sprintf(`article.story %s {"story":%q,"story_by_editor":false,"lead":false} → {"story":%q,"story_by_editor":true,"lead":false}`,
			e.as[1].ID, e.as[0].ID, e.as[1].ID)
		if strings.Join(e.audit, "\n") != wantAudit {
			t.Errorf("audit:\n%s\nwant\n%s", strings.Join(e.audit, "\n"), wantAudit)
		}
	})
	t.Run("a version merged into another story leaves its lead behind", func(t *testing.T) {
		e := newEditorial(t)
		if _, _, err := e.MakeLead(ctx, e.as[0].ID, LeadInput{Article: e.as[2].ID}); err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(time.Minute)
		if _, _, err := e.MoveToStory(ctx, e.as[2].ID, StoryInput{Story: e.as[3].ID}); err != nil {
			t.Fatal(err)
		}
		got := e.get(t, 2)
		if got.Story != e.as[3].ID || got.Lead || !got.StoryByEditor {
			t.Errorf("after the merge: %+v", got)
		}
		last := e.pub.got[len(e.pub.got)-1]
		if want := (events.ArticleModerated{ID: e.as[2].ID, Story: e.as[3].ID, At: e.now}); last != want {
			t.Errorf("announced %+v, want %+v", last, want)
		}
		if st, _ := e.Story(ctx, e.as[3].ID); len(st.Versions) != 2 || st.Versions[0].Lead || st.Versions[1].Lead {
			t.Errorf("the story it joined has no new lead: %+v", st)
		}
	})
	t.Run("splitting a version already alone changes nothing and is a success", func(t *testing.T) {
		e := newEditorial(t)
		before := e.snapshot(t)
		v, c, err := e.MoveToStory(ctx, e.as[3].ID, StoryInput{Story: e.as[3].ID})
		if err != nil || c != nil || v.ID != e.as[3].ID || v.Story != e.as[3].ID {
			t.Errorf("split of a lone article: %+v, %v, %v", v, c, err)
		}
		if e.snapshot(t) != before || len(e.pub.got) != 0 || len(e.audit) != 0 {
			t.Errorf("a no-op changed, announced or audited something: %v %v", e.pub.got, e.audit)
		}
	})
	t.Run("a repeated move announces and audits again what a lost announcement should have said", func(t *testing.T) {
		e := newEditorial(t)
		e.pub.fail = 1
		if _, _, err := e.MoveToStory(ctx, e.as[1].ID, StoryInput{Story: e.as[1].ID}); kiosk.ErrorCode(err) != kiosk.EUNAVAILABLE {
			t.Fatalf("with the bus down: %v, want unavailable", err)
		}
		if got := e.get(t, 1); got.Story != e.as[1].ID {
			t.Fatalf("the split was not stored before it was announced: %+v", got)
		}
		stamped := e.now
		e.now = e.now.Add(time.Minute)
		before := e.snapshot(t)
		if _, c, err := e.MoveToStory(ctx, e.as[1].ID, StoryInput{Story: e.as[1].ID}); err != nil || c == nil {
			t.Fatalf("the repeat: %v %v", c, err)
		}
		want := []events.ArticleModerated{{ID: e.as[1].ID, Story: e.as[1].ID, At: stamped}}
		if fmt.Sprint(e.pub.got) != fmt.Sprint(want) || e.snapshot(t) != before {
			t.Errorf("announced %+v, want %+v (the stored state, as first stamped, and nothing changed)", e.pub.got, want)
		}
		st := fmt.Sprintf(`{"story":%q,"story_by_editor":true,"lead":false}`, e.as[1].ID)
		if want := "article.story " + e.as[1].ID + " " + st + " → " + st; strings.Join(e.audit, "\n") != want {
			t.Errorf("audit:\n%s\nwant the repeat audited (the first request's record may be the one lost):\n%s", strings.Join(e.audit, "\n"), want)
		}
	})
	t.Run("refused moves say why and change nothing", func(t *testing.T) {
		e := newEditorial(t)
		before := e.snapshot(t)
		missing := IDFor("nowhere")
		for _, c := range []struct {
			name, id, story, code, msg string
		}{
			{"a malformed article id", "../../etc", e.as[0].ID, kiosk.EINVALID, "an article id is 32 lower-case hex characters"},
			{"an upper-case article id", strings.ToUpper(e.as[1].ID), e.as[0].ID, kiosk.EINVALID, "an article id is 32 lower-case hex characters"},
			{"a malformed story id", e.as[1].ID, "story-1", kiosk.EINVALID, "story must be a story id, 32 lower-case hex characters (the article's own id splits it out)"},
			{"no story at all", e.as[1].ID, "", kiosk.EINVALID, "story must be a story id, 32 lower-case hex characters (the article's own id splits it out)"},
			{"an unknown article", missing, e.as[0].ID, kiosk.ENOTFOUND, "no article " + missing},
			{"a story that does not exist", e.as[1].ID, missing, kiosk.ENOTFOUND, "no story " + missing + " to merge into"},
			{"splitting the first article of a story others were clustered into", e.as[0].ID, e.as[0].ID, kiosk.ECONFLICT,
				"article " + e.as[0].ID + " is the first of its story and the other versions were clustered with it: split them out instead"},
		} {
			t.Run(c.name+" is "+c.code, func(t *testing.T) {
				_, ch, err := e.MoveToStory(ctx, c.id, StoryInput{Story: c.story})
				if kiosk.ErrorCode(err) != c.code || kiosk.ErrorMessage(err) != c.msg || ch != nil {
					t.Errorf("got %s %q, want %s %q", kiosk.ErrorCode(err), kiosk.ErrorMessage(err), c.code, c.msg)
				}
			})
		}
		if e.snapshot(t) != before || len(e.pub.got) != 0 || len(e.audit) != 0 {
			t.Errorf("a refused move changed, announced or audited something: %v %v", e.pub.got, e.audit)
		}
	})
}

func TestServiceMakesAStorysLead(t *testing.T) {
	ctx := context.Background()
	t.Run("the new lead is marked, the old one unmarked, one announcement each with its whole state", func(t *testing.T) {
		e := newEditorial(t)
		yes, no := true, false
		if _, err := e.Moderate(ctx, e.as[1].ID, ModerationInput{Hidden: &no, Pinned: &yes}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.MakeLead(ctx, e.as[0].ID, LeadInput{Article: e.as[1].ID}); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(`story.lead %s {"leads":[]} → {"leads":[%q]}`, e.as[0].ID, e.as[1].ID); e.audit[len(e.audit)-1] != want {
			t.Errorf("the first lead audited as %s, want %s", e.audit[len(e.audit)-1], want)
		}
		e.now = e.now.Add(time.Minute)
		e.pub.got, e.audit = nil, nil
		st, c, err := e.MakeLead(ctx, e.as[0].ID, LeadInput{Article: e.as[2].ID})
		if err != nil || c == nil {
			t.Fatal(err)
		}
		var leads []string
		for _, v := range st.Versions {
			if v.Lead {
				leads = append(leads, v.ID)
			}
		}
		if fmt.Sprint(leads) != fmt.Sprint([]string{e.as[2].ID}) || len(st.Versions) != 3 {
			t.Errorf("the story after: %+v", st)
		}
		if e.get(t, 1).Lead || !e.get(t, 2).Lead || !e.get(t, 1).Pinned {
			t.Errorf("stored: old lead %+v, new lead %+v", e.get(t, 1), e.get(t, 2))
		}
		want := []events.ArticleModerated{{ID: e.as[2].ID, Lead: true, At: e.now}, {ID: e.as[1].ID, Pinned: true, At: e.now}}
		if fmt.Sprint(e.pub.got) != fmt.Sprint(want) {
			t.Errorf("announced %+v\nwant %+v (the new lead first)", e.pub.got, want)
		}
		wantAudit := fmt.Sprintf(`story.lead %s {"leads":[%q]} → {"leads":[%q]}`, e.as[0].ID, e.as[1].ID, e.as[2].ID)
		if strings.Join(e.audit, "\n") != wantAudit {
			t.Errorf("audit:\n%s\nwant\n%s", strings.Join(e.audit, "\n"), wantAudit)
		}
	})
	t.Run("a repeat changes nothing and announces and audits the story's lead again", func(t *testing.T) {
		e := newEditorial(t)
		e.pub.fail = 1
		if _, _, err := e.MakeLead(ctx, e.as[0].ID, LeadInput{Article: e.as[2].ID}); kiosk.ErrorCode(err) != kiosk.EUNAVAILABLE {
			t.Fatalf("with the bus down: %v, want unavailable", err)
		}
		stamped := e.now
		e.now = e.now.Add(time.Minute)
		before := e.snapshot(t)
		if _, c, err := e.MakeLead(ctx, e.as[0].ID, LeadInput{Article: e.as[2].ID}); err != nil || c == nil {
			t.Fatalf("the repeat: %v %v", c, err)
		}
		want := []events.ArticleModerated{{ID: e.as[2].ID, Lead: true, At: stamped}}
		if fmt.Sprint(e.pub.got) != fmt.Sprint(want) || e.snapshot(t) != before {
			t.Errorf("announced %+v, want %+v", e.pub.got, want)
		}
		leads := fmt.Sprintf(`{"leads":[%q]}`, e.as[2].ID)
		if want := "story.lead " + e.as[0].ID + " " + leads + " → " + leads; strings.Join(e.audit, "\n") != want {
			t.Errorf("audit:\n%s\nwant the repeat audited:\n%s", strings.Join(e.audit, "\n"), want)
		}
	})
	t.Run("a change interrupted after the new lead is stored leaves it leading and announced", func(t *testing.T) {
		e := newEditorial(t)
		if _, _, err := e.MakeLead(ctx, e.as[0].ID, LeadInput{Article: e.as[1].ID}); err != nil {
			t.Fatal(err)
		}
		e.pub.got = nil
		e.now = e.now.Add(time.Minute)
		e.Store = &failingSecond{MemoryStore: e.st}
		_, c, err := e.MakeLead(ctx, e.as[0].ID, LeadInput{Article: e.as[2].ID})
		if kiosk.ErrorCode(err) != kiosk.ECONFLICT || c == nil {
			t.Fatalf("interrupted: %v, %v; want a conflict and the change made so far", err, c)
		}
		want := []events.ArticleModerated{{ID: e.as[2].ID, Lead: true, At: e.now}}
		if fmt.Sprint(e.pub.got) != fmt.Sprint(want) {
			t.Errorf("announced %+v, want %+v", e.pub.got, want)
		}
		e.Store = e.st
		e.now = e.now.Add(time.Minute)
		if _, _, err := e.MakeLead(ctx, e.as[0].ID, LeadInput{Article: e.as[2].ID}); err != nil {
			t.Fatal(err)
		}
		if e.get(t, 1).Lead || !e.get(t, 2).Lead {
			t.Errorf("the repeat did not finish the change: %+v %+v", e.get(t, 1), e.get(t, 2))
		}
	})
	t.Run("refused leads say why and change nothing", func(t *testing.T) {
		e := newEditorial(t)
		yes, no := true, false
		if _, err := e.Moderate(ctx, e.as[2].ID, ModerationInput{Hidden: &yes, Pinned: &no}); err != nil {
			t.Fatal(err)
		}
		e.pub.got, e.audit = nil, nil
		before := e.snapshot(t)
		missing := IDFor("nowhere")
		A := e.as[0].ID
		for _, c := range []struct {
			name, story, article, code, msg string
		}{
			{"a malformed story id", "../" + A[3:], e.as[1].ID, kiosk.EINVALID, "a story id is 32 lower-case hex characters"},
			{"a malformed article id", A, "x", kiosk.EINVALID, "article must be an article id, 32 lower-case hex characters"},
			{"an unknown story", missing, e.as[1].ID, kiosk.ENOTFOUND, "no story " + missing},
			{"an unknown article", A, missing, kiosk.ENOTFOUND, "no article " + missing},
			{"another story's article", A, e.as[3].ID, kiosk.ECONFLICT, "article " + e.as[3].ID + " is not a version of story " + A},
			{"a hidden article", A, e.as[2].ID, kiosk.ECONFLICT, "article " + e.as[2].ID + " is hidden and a hidden article cannot lead its story: show it first"},
		} {
			t.Run(c.name+" is "+c.code, func(t *testing.T) {
				_, ch, err := e.MakeLead(ctx, c.story, LeadInput{Article: c.article})
				if kiosk.ErrorCode(err) != c.code || kiosk.ErrorMessage(err) != c.msg || ch != nil {
					t.Errorf("got %s %q, want %s %q", kiosk.ErrorCode(err), kiosk.ErrorMessage(err), c.code, c.msg)
				}
			})
		}
		if e.snapshot(t) != before || len(e.pub.got) != 0 || len(e.audit) != 0 {
			t.Errorf("a refused lead changed, announced or audited something: %v %v", e.pub.got, e.audit)
		}
	})
}

// failingSecond is the memory store losing the race on every editorial
// write after the first.
type failingSecond struct {
	*MemoryStore
	writes int
}

func (f *failingSecond) SaveEditorial(ctx context.Context, a Article, was time.Time) error {
	if f.writes++; f.writes > 1 {
		return conflict("article %s was moderated concurrently; try again", a.ID)
	}
	return f.MemoryStore.SaveEditorial(ctx, a, was)
}

func TestServiceModerationKeepsAStorysLeadAndAnEditorsStory(t *testing.T) {
	ctx := context.Background()
	e := newEditorial(t)
	if _, _, err := e.MoveToStory(ctx, e.as[1].ID, StoryInput{Story: e.as[1].ID}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.MakeLead(ctx, e.as[1].ID, LeadInput{Article: e.as[1].ID}); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	m, err := e.Moderate(ctx, e.as[1].ID, ModerationInput{Hidden: &no, Pinned: &yes})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.get(t, 1); !got.Lead || got.Story != e.as[1].ID || !got.StoryByEditor || !got.Pinned {
		t.Errorf("after the moderation: %+v", got)
	}
	last := e.pub.got[len(e.pub.got)-1]
	if want := (events.ArticleModerated{ID: e.as[1].ID, Pinned: true, Lead: true, Story: e.as[1].ID, At: m.ModeratedAt}); last != want {
		t.Errorf("announced %+v, want %+v (the whole editorial state)", last, want)
	}
	// Three changes in the same instant are stamped one after the other.
	if !m.ModeratedAt.Equal(e.now.Add(2 * time.Millisecond)) {
		t.Errorf("the third change at %v is stamped %v, want just after the second", e.now, m.ModeratedAt)
	}
}

// TestServiceShowsAtMostMaxVersionsOfAStory: a story grown past
// MaxVersions shows the oldest MaxVersions and says there are more; a
// version beyond them can still be made its lead.
func TestServiceShowsAtMostMaxVersionsOfAStory(t *testing.T) {
	ctx := context.Background()
	st := newMemory(t)
	s := &Service{Store: st, Now: func() time.Time { return t0.Add(time.Hour) }}
	var as []Article
	for i := range MaxVersions + 2 {
		a := art(i, "tech", t0.Add(time.Duration(i)*time.Second))
		if i > 0 {
			a.Story = as[0].ID
		}
		_ = st.PutArticle(ctx, a)
		as = append(as, a)
	}
	story, err := s.Story(ctx, as[0].ID)
	if err != nil || len(story.Versions) != MaxVersions || !story.More || story.Versions[0].ID != as[0].ID || story.Versions[MaxVersions-1].ID != as[MaxVersions-1].ID {
		t.Fatalf("%d versions, more %v, %v; want the oldest %d and more", len(story.Versions), story.More, err, MaxVersions)
	}
	last := as[len(as)-1]
	_, c, err := s.MakeLead(ctx, as[0].ID, LeadInput{Article: last.ID})
	if err != nil || c == nil {
		t.Fatalf("a lead beyond the versions shown: %v", err)
	}
	if after, _ := json.Marshal(c.After); string(after) != `{"leads":["`+last.ID+`"]}` {
		t.Errorf("audited after %s, want the new lead", after)
	}
	if got, _ := st.GetArticle(ctx, last.ID); !got.Lead {
		t.Errorf("the version beyond the page does not lead: %+v", got)
	}
}

// Two lead changes racing can leave two versions flagged (each write is its
// own item, each conditioned on its own version only): the story shows the
// latest decision as its one lead, as the feeds do, and the next lead change
// leaves exactly one.
func TestTwoRacingLeadsShowAsTheLatestAndTheNextChangeLeavesOne(t *testing.T) {
	ctx := context.Background()
	e := newEditorial(t)
	for i, at := range map[int]time.Time{1: e.now.Add(-time.Minute), 2: e.now} {
		a := e.get(t, i)
		was := a.ModeratedAt
		a.Lead, a.ModeratedAt = true, at
		if err := e.st.SaveEditorial(ctx, a, was); err != nil {
			t.Fatal(err)
		}
	}
	leads := func() []string {
		st, err := e.Story(ctx, e.as[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range st.Versions {
			if v.Lead {
				out = append(out, v.ID)
			}
		}
		return out
	}
	if got := leads(); len(got) != 1 || got[0] != e.as[2].ID {
		t.Errorf("leads shown %v, want only the latest decision %s", got, e.as[2].ID)
	}
	e.now = e.now.Add(time.Minute)
	if _, _, err := e.MakeLead(ctx, e.as[0].ID, LeadInput{Article: e.as[0].ID}); err != nil {
		t.Fatal(err)
	}
	flagged := 0
	for i := range 3 {
		if e.get(t, i).Lead {
			flagged++
		}
	}
	if got := leads(); flagged != 1 || len(got) != 1 || got[0] != e.as[0].ID {
		t.Errorf("after the next lead change %d versions are flagged and %v shown, want only %s", flagged, got, e.as[0].ID)
	}
}
