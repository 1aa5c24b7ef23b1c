package article

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// PutTimeout bounds one article write; the Announcer waits longer than this
// before it trusts that every article stamped before a moment is stored.
const PutTimeout = 10 * time.Second

// AnnounceLag is the Announcer's default lag: what was stored less than this
// ago waits for the next run.
const AnnounceLag = 3 * PutTimeout

// Announcer relays stored articles to the bus, in ingestion order: the
// transactional-outbox half of ingestion. It announces every article ingested
// after the checkpoint and at least Lag ago (so no put still in flight can land
// behind it), moving the checkpoint after every chunk the bus accepted. A
// failed or crashed run leaves it after the last such chunk, and the next one
// announces the rest, and at most one chunk again: at least once, never lost;
// consumers are idempotent by article id.
type Announcer struct {
	Store     Store
	Publisher Publisher        // the bus: article.published (PublishedEvent) for each article
	Lag       time.Duration    // default 30 s, above the ingester's put timeout
	Now       func() time.Time // default time.Now
}

// AnnounceReport is what one relay run did.
type AnnounceReport struct {
	Announced int       `json:"announced"`
	Through   time.Time `json:"through"`
}

// Run announces what is due and advances the checkpoint.
func (a *Announcer) Run(ctx context.Context) (AnnounceReport, error) {
	now := time.Now()
	if a.Now != nil {
		now = a.Now()
	}
	lag := a.Lag
	if lag == 0 {
		lag = AnnounceLag
	}
	through := now.UTC().Add(-lag)
	checkpoint, err := a.Store.Checkpoint(ctx)
	if err != nil {
		return AnnounceReport{}, fmt.Errorf("read checkpoint: %w", err)
	}
	if !through.After(checkpoint) {
		return AnnounceReport{Through: checkpoint}, nil
	}
	recent, err := a.Store.RecentArticles(ctx, checkpoint)
	if err != nil {
		return AnnounceReport{}, fmt.Errorf("read articles since %s: %w", checkpoint, err)
	}
	var due []Article
	for _, x := range recent {
		if x.IngestedAt.After(checkpoint) && !x.IngestedAt.After(through) {
			due = append(due, x)
		}
	}
	sort.SliceStable(due, func(i, j int) bool { return due[i].IngestedAt.Before(due[j].IngestedAt) })
	// Announce in chunks and move the checkpoint after each, so a run that
	// fails part-way resumes after the last chunk the bus accepted instead of
	// announcing everything again. A chunk never splits articles stamped with
	// the same instant: the checkpoint means "everything through this time".
	done := 0
	for done < len(due) {
		end := min(done+announceChunk, len(due))
		for end < len(due) && due[end].IngestedAt.Equal(due[end-1].IngestedAt) {
			end++
		}
		evs := make([]Event, 0, end-done)
		for _, x := range due[done:end] {
			evs = append(evs, PublishedEvent(x))
		}
		if err := a.Publisher.Publish(ctx, evs...); err != nil {
			return AnnounceReport{Announced: done}, fmt.Errorf("announce %d articles (after %d): %w", end-done, done, err)
		}
		done = end
		if done < len(due) {
			if err := a.Store.AdvanceCheckpoint(ctx, due[done-1].IngestedAt); err != nil {
				return AnnounceReport{Announced: done}, err
			}
		}
	}
	if err := a.Store.AdvanceCheckpoint(ctx, through); err != nil {
		return AnnounceReport{Announced: len(due)}, err
	}
	return AnnounceReport{Announced: len(due), Through: through}, nil
}

// announceChunk is how many articles the Announcer publishes between two
// moves of its checkpoint (five PutEvents calls).
const announceChunk = 50
