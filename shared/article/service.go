package article

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/page"
)

// Service holds the articles domain's use cases behind the HTTP APIs; its
// errors carry application codes.
type Service struct {
	Store Store
	Now   func() time.Time
	// Events announces moderations (article.moderated); nil announces nothing.
	Events Publisher
	// Audit records each change an editor makes (sources, moderation) after
	// it is stored, under the caller's name; nil records nothing (the admin
	// console audits on its own, under the session's editor). When the record
	// cannot be written the caller gets an unavailable error and may repeat
	// the request.
	Audit func(ctx context.Context, c Change) error
	// FetchAllow lists the host:port pairs a source URL may name although
	// they are private (the fetcher's KIOSK_FETCH_ALLOW; empty in AWS).
	FetchAllow []string
}

// List limits.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// ValidCategory reports whether c is a category name (lower-case kebab).
func ValidCategory(c string) bool { return contract.ValidCategory(c) }

// ListArticles validates the query and reads one page. Its cursors are
// bound to the category they list (page.Cursor); the position inside is the
// last item's list key.
func (s *Service) ListArticles(ctx context.Context, category, limit, cursor string) (Page, error) {
	if category != "" && !ValidCategory(category) {
		return Page{}, kiosk.Errorf(kiosk.EINVALID, "category must be lower-case letters, digits and dashes")
	}
	n, err := page.Limit(limit, DefaultLimit, MaxLimit)
	if err != nil {
		return Page{}, err
	}
	list := "articles|" + category
	after, err := decodePosition(cursor, list)
	if err != nil {
		return Page{}, err
	}
	p, err := s.Store.ListArticles(ctx, category, n, after)
	if err != nil {
		return Page{}, fmt.Errorf("list articles: %w", err)
	}
	if p.NextCursor != "" {
		p.NextCursor = page.Cursor(list, p.NextCursor)
	}
	return p, nil
}

// decodePosition reads a cursor of list whose position is a list key
// (validPosition); "" is the first page.
func decodePosition(cursor, list string) (string, error) {
	var key string
	if ok, err := page.Decode(cursor, list, &key); err != nil || (ok && !validPosition(key)) {
		return "", page.ErrCursor
	}
	return key, nil
}

// GetArticle reads one visible article.
func (s *Service) GetArticle(ctx context.Context, id string) (Article, error) {
	if !ValidID(id) {
		return Article{}, kiosk.Errorf(kiosk.EINVALID, "an article id is 32 lower-case hex characters")
	}
	a, err := s.Store.GetArticle(ctx, id)
	if err == nil && a.Hidden { // a hidden article is gone for readers
		err = notFound("no article %s", id)
	}
	if err != nil {
		return Article{}, codes.Translate(err)
	}
	return a, nil
}

// Change is one audited change: what was done to which target, and the
// target's state before and after (nil when it did not exist).
type Change struct {
	Action string // source.create, source.update, source.delete, source.refetch, article.moderate, article.story, story.lead
	Target string // the source, article or story id
	Before any
	After  any
}

func (s *Service) audit(ctx context.Context, action, target string, before, after any) error {
	if s.Audit == nil {
		return nil
	}
	if err := s.Audit(ctx, Change{Action: action, Target: target, Before: before, After: after}); err != nil {
		return errors.Join(kiosk.Errorf(kiosk.EUNAVAILABLE, "the change is stored but its audit record could not be written"), err)
	}
	return nil
}

// moderationState is an article's moderation in the audit log.
type moderationState struct {
	Hidden bool `json:"hidden"`
	Pinned bool `json:"pinned"`
}

// ModerationInput is what an editor sends to moderate an article: both flags,
// the whole moderation state.
type ModerationInput struct {
	Hidden *bool `json:"hidden"`
	Pinned *bool `json:"pinned"`
}

// Moderation is an article's moderation state.
type Moderation struct {
	ID          string    `json:"id"`
	Hidden      bool      `json:"hidden"`
	Pinned      bool      `json:"pinned"`
	ModeratedAt time.Time `json:"moderated_at"`
	// The state before, for the audit log.
	WasHidden, WasPinned bool `json:"-"`
}

// Moderate hides/shows and pins/unpins an article, keeping its story and
// lead, then announces it with s.Events (article.moderated, the whole
// editorial state) and audits it. The change is stored first; when the
// announcement fails the caller gets an unavailable error and repeating the
// request announces it (consumers keep the latest by time).
func (s *Service) Moderate(ctx context.Context, id string, in ModerationInput) (Moderation, error) {
	if !ValidID(id) {
		return Moderation{}, kiosk.Errorf(kiosk.EINVALID, "an article id is 32 lower-case hex characters")
	}
	if in.Hidden == nil || in.Pinned == nil {
		return Moderation{}, kiosk.Errorf(kiosk.EINVALID, "hidden and pinned are both required")
	}
	was, err := s.Store.GetArticle(ctx, id)
	if err != nil {
		return Moderation{}, codes.Translate(err)
	}
	a := was
	a.Hidden, a.Pinned = *in.Hidden, *in.Pinned
	if err := s.saveEditorial(ctx, was, &a); err != nil {
		return Moderation{}, err
	}
	m := Moderation{ID: a.ID, Hidden: a.Hidden, Pinned: a.Pinned, ModeratedAt: a.ModeratedAt, WasHidden: was.Hidden, WasPinned: was.Pinned}
	if err := s.announce(ctx, a); err != nil {
		return Moderation{}, err
	}
	return m, s.audit(ctx, "article.moderate", m.ID, moderationState{m.WasHidden, m.WasPinned}, moderationState{m.Hidden, m.Pinned})
}

// saveEditorial stores a's editorial state over was's in one conditional
// write, stamping it with the time of the change: now, or just after the
// previous change when the clock has not moved past it, so consumers that
// keep the latest by time never drop a later change as a repeat.
func (s *Service) saveEditorial(ctx context.Context, was Article, a *Article) error {
	at := s.now()
	if !at.After(was.ModeratedAt) {
		at = was.ModeratedAt.Add(time.Millisecond)
	}
	a.ModeratedAt = at
	if err := s.Store.SaveEditorial(ctx, *a, was.ModeratedAt); err != nil {
		return codes.Translate(err)
	}
	return nil
}

// announce publishes the editorial state of each article (article.moderated);
// nothing when s.Events is nil.
func (s *Service) announce(ctx context.Context, as ...Article) error {
	if s.Events == nil || len(as) == 0 {
		return nil
	}
	evs := make([]Event, len(as))
	for i, a := range as {
		evs[i] = ModeratedEvent(a)
	}
	if err := s.Events.Publish(ctx, evs...); err != nil {
		return errors.Join(kiosk.Errorf(kiosk.EUNAVAILABLE,
			"the change is stored but could not be announced yet; repeat the request"), err)
	}
	return nil
}

// StoryInput is what an editor sends to move an article: the story to put
// it in — another story's id merges it there, its own id splits it out.
type StoryInput struct {
	Story string `json:"story"`
}

// LeadInput is what an editor sends to choose a story's lead.
type LeadInput struct {
	Article string `json:"article"`
}

// storyState is an article's story in the audit log.
type storyState struct {
	Story         string `json:"story"`
	StoryByEditor bool   `json:"story_by_editor"`
	Lead          bool   `json:"lead"`
}

// leadState is a story's lead in the audit log (more than one only when an
// earlier change was interrupted; consumers follow the latest).
type leadState struct {
	Leads []string `json:"leads"`
}

func validStory(id string) error {
	if !ValidID(id) {
		return kiosk.Errorf(kiosk.EINVALID, "a story id is 32 lower-case hex characters")
	}
	return nil
}

// Story reads a story with its versions (hidden ones too), oldest published
// first, at most MaxVersions of them.
func (s *Service) Story(ctx context.Context, id string) (Story, error) {
	st, _, err := s.story(ctx, id)
	return st, err
}

func (s *Service) story(ctx context.Context, id string) (Story, []Article, error) {
	if err := validStory(id); err != nil {
		return Story{}, nil, err
	}
	list, err := s.Store.StoryArticles(ctx, id, MaxVersions+1)
	if err != nil {
		return Story{}, nil, fmt.Errorf("list story %s: %w", id, err)
	}
	if len(list) == 0 {
		return Story{}, nil, codes.Translate(notFound("no story %s", id))
	}
	st := Story{ID: id, Versions: []Version{}, More: len(list) > MaxVersions}
	list = list[:min(len(list), MaxVersions)]
	lead := latestLead(list)
	for _, a := range list {
		v := VersionOf(a)
		v.Lead = a.ID == lead // several flagged (racing lead changes): the latest decision leads, as in the feeds
		st.Versions = append(st.Versions, v)
	}
	return st, list, nil
}

// latestLead is the id of the version an editor made lead most recently
// ("" when none is flagged). Two lead changes racing can leave two versions
// flagged (each write is its own item); the latest decision leads, in the
// story's view here as in the feeds, and the next lead change clears the
// others.
func latestLead(list []Article) string {
	best := -1
	for i, a := range list {
		if a.Lead && (best < 0 || a.ModeratedAt.After(list[best].ModeratedAt) ||
			a.ModeratedAt.Equal(list[best].ModeratedAt) && a.ID > list[best].ID) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return list[best].ID
}

// MoveToStory puts an article in another story: merges it into an existing
// story, or splits it out to its own (story = its id). The article leaves
// its old story's lead behind (the story it joins keeps its own lead). A
// move to the story the article is already in changes nothing and answers
// as a success; if an editor changed the article before, it announces and
// audits its state again, so a repeated request recovers an announcement or
// an audit record the first one lost. The first article of a story others
// were clustered into cannot be split out — it is already in its own story:
// split the others out instead. It returns the article's version and the
// change for the audit log (nil when nothing was asked of an article no
// editor changed), and audits it.
func (s *Service) MoveToStory(ctx context.Context, id string, in StoryInput) (Version, *Change, error) {
	if !ValidID(id) {
		return Version{}, nil, kiosk.Errorf(kiosk.EINVALID, "an article id is 32 lower-case hex characters")
	}
	if !ValidID(in.Story) {
		return Version{}, nil, kiosk.Errorf(kiosk.EINVALID, "story must be a story id, 32 lower-case hex characters (the article's own id splits it out)")
	}
	was, err := s.Store.GetArticle(ctx, id)
	if err != nil {
		return Version{}, nil, codes.Translate(err)
	}
	if in.Story == was.Story {
		if in.Story == was.ID {
			if mates, err := s.Store.StoryArticles(ctx, id, 2); err != nil {
				return Version{}, nil, fmt.Errorf("list story %s: %w", id, err)
			} else if len(mates) > 1 {
				return Version{}, nil, kiosk.Errorf(kiosk.ECONFLICT,
					"article %s is the first of its story and the other versions were clustered with it: split them out instead", id)
			}
		}
		// A repeat: announce and audit the article's state again, in case the
		// first request's announcement or audit record was lost.
		if was.ModeratedAt.IsZero() {
			return VersionOf(was), nil, nil
		}
		st := storyState{was.Story, was.StoryByEditor, was.Lead}
		c := &Change{Action: "article.story", Target: id, Before: st, After: st}
		return VersionOf(was), c, s.finish(ctx, c, was)
	}
	if in.Story != id {
		if into, err := s.Store.StoryArticles(ctx, in.Story, 1); err != nil {
			return Version{}, nil, fmt.Errorf("list story %s: %w", in.Story, err)
		} else if len(into) == 0 {
			return Version{}, nil, kiosk.Errorf(kiosk.ENOTFOUND, "no story %s to merge into", in.Story)
		}
	}
	a := was
	a.Story, a.StoryByEditor, a.Lead = in.Story, true, false
	if err := s.saveEditorial(ctx, was, &a); err != nil {
		return Version{}, nil, err
	}
	c := &Change{Action: "article.story", Target: id,
		Before: storyState{was.Story, was.StoryByEditor, was.Lead}, After: storyState{a.Story, a.StoryByEditor, a.Lead}}
	return VersionOf(a), c, s.finish(ctx, c, a)
}

// finish announces the articles an editorial change stored (or, for a
// repeat, their state as stored) and then audits the change (nil: none).
func (s *Service) finish(ctx context.Context, c *Change, as ...Article) error {
	if err := s.announce(ctx, as...); err != nil {
		return err
	}
	if c == nil {
		return nil
	}
	return s.audit(ctx, c.Action, c.Target, c.Before, c.After)
}

// MakeLead makes an article its story's lead: the article must be a visible
// version of the story; every other version marked lead is unmarked. Each
// changed article is one conditional write and one article.moderated
// carrying its whole state — the new lead first, so whatever order the
// events arrive in, or if the request stops part-way, consumers (who follow
// the lead with the latest time) follow the new one. A story already led by
// the article changes nothing and answers as a success, repeating the
// announcements of the versions editors changed and the audit record. It
// returns the story as changed and the change for the audit log (nil when
// nothing was asked of the story).
func (s *Service) MakeLead(ctx context.Context, story string, in LeadInput) (Story, *Change, error) {
	if err := validStory(story); err != nil {
		return Story{}, nil, err
	}
	if !ValidID(in.Article) {
		return Story{}, nil, kiosk.Errorf(kiosk.EINVALID, "article must be an article id, 32 lower-case hex characters")
	}
	st, versions, err := s.story(ctx, story)
	if err != nil {
		return Story{}, nil, err
	}
	lead, err := s.Store.GetArticle(ctx, in.Article)
	if err != nil {
		return Story{}, nil, codes.Translate(err)
	}
	if lead.Story != story {
		return Story{}, nil, kiosk.Errorf(kiosk.ECONFLICT, "article %s is not a version of story %s", lead.ID, story)
	}
	if lead.Hidden {
		return Story{}, nil, kiosk.Errorf(kiosk.ECONFLICT, "article %s is hidden and a hidden article cannot lead its story: show it first", lead.ID)
	}
	// The version as just read, then every other lead, in that order.
	var todo []Article
	if !lead.Lead {
		todo = append(todo, lead)
	}
	before := []string{}
	if lead.Lead {
		before = append(before, lead.ID)
	}
	for _, v := range versions {
		if v.ID != lead.ID && v.Lead {
			before = append(before, v.ID)
			todo = append(todo, v)
		}
	}
	if len(todo) == 0 { // a repeat: announce and audit the story's lead again
		c := &Change{Action: "story.lead", Target: story, Before: leadState{before}, After: leadState{before}}
		var edited []Article
		for _, v := range versions {
			if !v.ModeratedAt.IsZero() {
				edited = append(edited, v)
			}
		}
		return st, c, s.finish(ctx, c, edited...)
	}
	var changed []Article
	var failed error
	for _, was := range todo {
		a := was
		a.Lead = a.ID == lead.ID
		if failed = s.saveEditorial(ctx, was, &a); failed != nil {
			break
		}
		changed = append(changed, a)
	}
	if len(changed) == 0 {
		return Story{}, nil, failed
	}
	byID := map[string]Article{}
	for _, a := range changed {
		byID[a.ID] = a
	}
	after := []string{}
	found := false
	for i, v := range st.Versions {
		if a, ok := byID[v.ID]; ok {
			st.Versions[i] = VersionOf(a)
			found = found || a.ID == lead.ID
		}
		if st.Versions[i].Lead {
			after = append(after, v.ID)
		}
	}
	if a, ok := byID[lead.ID]; ok && !found { // beyond the versions shown
		after = append(after, a.ID)
	}
	c := &Change{Action: "story.lead", Target: story, Before: leadState{before}, After: leadState{after}}
	if failed != nil { // announce and audit what was stored; a repeat finishes it
		return Story{}, c, errors.Join(failed, s.finish(ctx, c, changed...))
	}
	return st, c, s.finish(ctx, c, changed...)
}

// SourceInput is what an admin sends to create or update a source.
// Its tags also describe the admin console's form (see shared/platform/form).
type SourceInput struct {
	ID       string   `json:"id" label:"ID" required:"create" pattern:"[a-z0-9][a-z0-9\\-]{0,38}[a-z0-9]" help:"2-40 lower-case letters, digits and dashes; fixed once created"`
	URL      string   `json:"url" label:"Feed URL" input:"url" required:"true" help:"RSS, Atom, RDF or JSON Feed"`
	Name     string   `json:"name" label:"Name" required:"true" maxlength:"100"`
	Category string   `json:"category" label:"Category" required:"true" pattern:"[a-z0-9][a-z0-9\\-]{0,38}[a-z0-9]"`
	Weight   *float64 `json:"weight" label:"Weight" input:"number" required:"true" min:"0.1" max:"10" step:"0.1" help:"ranking weight; 1 is neutral"`
}

// A source's bounds, as the spec declares them (SourceInput).
const (
	MinWeight = 0.1
	MaxWeight = 10.0
	MaxName   = 100
)

func (in SourceInput) validate(needID bool, allow []string) error {
	var problems []string
	if needID && !contract.ValidSlug(in.ID) {
		problems = append(problems, "id must be 2-40 lower-case letters, digits and dashes")
	}
	if len(in.URL) > MaxURL {
		problems = append(problems, "url is too long")
	} else if u, err := Canonicalize(in.URL); err != nil || u == "" {
		problems = append(problems, "url must be an absolute http(s) URL")
	} else if p := sourceURLProblem(in.URL, allow); p != "" {
		problems = append(problems, p)
	}
	if !ValidCategory(in.Category) {
		problems = append(problems, "category must be lower-case letters, digits and dashes")
	}
	// NaN compares false with everything: refuse it (and ±Inf) by name. A
	// weight multiplies a score: 0.1 to 10 is the range that means something
	// (and a tiny one, 1e-131, is below what DynamoDB can store).
	if in.Weight == nil || math.IsNaN(*in.Weight) || math.IsInf(*in.Weight, 0) || *in.Weight < MinWeight || *in.Weight > MaxWeight {
		problems = append(problems, fmt.Sprintf("weight must be a number from %g to %g", MinWeight, MaxWeight))
	}
	// Characters, as the spec's maxLength counts them, not bytes.
	if strings.TrimSpace(in.Name) == "" || utf8.RuneCountInString(in.Name) > MaxName {
		problems = append(problems, fmt.Sprintf("name must be 1-%d characters", MaxName))
	}
	if len(problems) > 0 {
		return &kiosk.Error{Code: kiosk.EINVALID, Message: strings.Join(problems, "; "), Details: problems}
	}
	return nil
}

// CreateSource adds a source; it is fetched on the next run.
func (s *Service) CreateSource(ctx context.Context, in SourceInput) (Source, error) {
	if err := in.validate(true, s.FetchAllow); err != nil {
		return Source{}, err
	}
	now := s.now()
	src := Source{ID: in.ID, URL: strings.TrimSpace(in.URL), Name: strings.TrimSpace(in.Name), Category: in.Category,
		Weight: *in.Weight, CreatedAt: now, UpdatedAt: now}
	if err := s.Store.PutSource(ctx, src); err != nil {
		return Source{}, codes.Translate(err)
	}
	return src, s.audit(ctx, "source.create", src.ID, nil, src)
}

// UpdateSource changes a source's URL, name, category and weight. A missing
// source is not found whatever the input.
func (s *Service) UpdateSource(ctx context.Context, id string, in SourceInput) (Source, error) {
	before, err := s.GetSource(ctx, id)
	if err != nil {
		return Source{}, err
	}
	if in.ID != "" && in.ID != id {
		return Source{}, kiosk.Errorf(kiosk.EINVALID, "id in the body must match the path or be left out")
	}
	if err := in.validate(false, s.FetchAllow); err != nil {
		return Source{}, err
	}
	src := Source{ID: id, URL: strings.TrimSpace(in.URL), Name: strings.TrimSpace(in.Name), Category: in.Category,
		Weight: *in.Weight, UpdatedAt: s.now()}
	updated, err := s.Store.UpdateSource(ctx, src)
	if err != nil {
		return Source{}, codes.Translate(err)
	}
	return updated, s.audit(ctx, "source.update", id, before, updated)
}

// DeleteSource removes a source; its articles stay.
func (s *Service) DeleteSource(ctx context.Context, id string) error {
	before, err := s.GetSource(ctx, id)
	if err != nil {
		return err
	}
	if err := s.Store.DeleteSource(ctx, id); err != nil {
		return codes.Translate(err)
	}
	// Its WebSub subscriptions are due at once: the ingestion batch's next
	// run unsubscribes them (the callback already refuses their pushes).
	subs, err := s.Store.SourceSubscriptions(ctx, id)
	if err != nil {
		return errors.Join(kiosk.Errorf(kiosk.EUNAVAILABLE, "the source is deleted; its WebSub subscription is refused until its lease ends"), err)
	}
	for _, x := range subs {
		x.NextCheck = s.now()
		if err := s.Store.PutSubscription(ctx, x); err != nil {
			return errors.Join(kiosk.Errorf(kiosk.EUNAVAILABLE, "the source is deleted; its WebSub subscription is refused until its lease ends"), err)
		}
	}
	return s.audit(ctx, "source.delete", id, before, nil)
}

// RefetchSource makes a failing source due on the ingestion batch's next
// run — for an operator who knows a backed-off source works again (the
// publisher is back, a broken parse-feed deploy was rolled back) — without
// changing its URL, which would forget its validators. Its failures and last
// error stay: a source still broken backs off further from where it was. A
// source that is not failing is a conflict and changes nothing: it is
// fetched at its adaptive interval's next fetch. A repeat keeps the source
// due and counts another refetch, so a run fetching the source meanwhile
// does not record its fetch (the next run fetches it again); each call is
// audited (source.refetch) with the source as the one write found it and
// left it. It returns the source as
// stored.
func (s *Service) RefetchSource(ctx context.Context, id string) (Source, error) {
	if err := validSourceID(id); err != nil {
		return Source{}, err
	}
	before, err := s.Store.MakeSourceDue(ctx, id)
	if err != nil {
		return Source{}, codes.Translate(err)
	}
	after := before
	after.NextFetchAt, after.Refetches = time.Time{}, before.Refetches+1
	return after, s.audit(ctx, "source.refetch", id, before, after)
}

// GetSource reads one source.
func (s *Service) GetSource(ctx context.Context, id string) (Source, error) {
	if err := validSourceID(id); err != nil {
		return Source{}, err
	}
	src, err := s.Store.GetSource(ctx, id)
	return src, codes.Translate(err)
}

// validSourceID refuses an id no source can have, before any store call.
func validSourceID(id string) error {
	if !contract.ValidSlug(id) {
		return kiosk.Errorf(kiosk.EINVALID, "bad source id")
	}
	return nil
}

// ListSources lists every source by id (an empty list, never nil).
func (s *Service) ListSources(ctx context.Context) ([]Source, error) {
	list, err := s.Store.ListSources(ctx)
	if list == nil && err == nil {
		list = []Source{}
	}
	return list, err
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// CheckAdminArticles tells whether AdminArticles takes these filters and
// cursor (EINVALID when not), without reading: a page that links back to the
// list checks the link before it changes anything.
func CheckAdminArticles(category, hidden, cursor string) error {
	_, _, _, err := adminList(category, hidden, cursor)
	return err
}

// adminList reads the editors' list's filters and cursor.
func adminList(category, hidden, cursor string) (f ArticleFilter, list, after string, err error) {
	f = ArticleFilter{Category: category}
	if category != "" && !ValidCategory(category) {
		return f, "", "", kiosk.Errorf(kiosk.EINVALID, "category must be lower-case letters, digits and dashes")
	}
	switch hidden {
	case "":
	case "yes", "no":
		h := hidden == "yes"
		f.Hidden = &h
	default:
		return f, "", "", kiosk.Errorf(kiosk.EINVALID, "hidden must be yes or no")
	}
	list = "admin-articles|" + category + "|" + hidden
	after, err = decodePosition(cursor, list)
	return f, list, after, err
}

// AdminArticles lists every article for editors (hidden ones too), newest
// ingested first; hidden is "", "yes" or "no". Its cursors are bound to the
// category and hidden filter they list.
func (s *Service) AdminArticles(ctx context.Context, category, hidden, cursor string, limit int) (Page, error) {
	f, list, after, err := adminList(category, hidden, cursor)
	if err != nil {
		return Page{}, err
	}
	p, err := s.Store.AdminArticles(ctx, f, min(max(limit, 1), MaxLimit), after)
	if err != nil {
		return Page{}, fmt.Errorf("list articles for editors: %w", err)
	}
	if p.NextCursor != "" {
		p.NextCursor = page.Cursor(list, p.NextCursor)
	}
	return p, nil
}
