//go:build floor_gofeed

package main

import (
	"context"
	"strings"

	"github.com/mmcdole/gofeed"
)

func init() {
	calls = append(calls, func(context.Context) error {
		_, err := gofeed.NewParser().Parse(strings.NewReader(`<rss version="2.0"><channel></channel></rss>`))
		return err
	})
}
