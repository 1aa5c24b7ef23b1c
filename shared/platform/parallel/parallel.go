// Package parallel runs a function over a slice with bounded concurrency, the
// fan-out every batch and bulk write in Kiosk does (fetch sources, store
// articles or events, write inboxes and feed heads).
package parallel

import "sync"

// Each calls f(i, items[i]) for every item, at most limit at a time (1 when
// limit < 1), and returns when every call has. f collects its own results
// and errors: no call stops the others.
func Each[T any](items []T, limit int, f func(i int, item T)) {
	sem := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(i, it)
		}()
	}
	wg.Wait()
}
