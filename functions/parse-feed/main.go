// Command parse-feed parses one feed document for ingest-feeds and
// websub-callback, which invoke it synchronously: the fetched or pushed bytes
// in, the newest items normalized for the article store out (feeddoc), or
// why the document is not a feed. It links gofeed and no AWS SDK client, and
// its role grants nothing but its logs: the one place hostile feed bytes meet
// a complex XML parser has no credentials to any table. One log line per
// document.
package main

import (
	"context"
	"log/slog"

	"github.com/kiosk-news/kiosk/shared/article/feeddoc"
	"github.com/kiosk-news/kiosk/shared/article/feedparse"
	"github.com/kiosk-news/kiosk/shared/platform/pure"
)

func main() {
	pure.Start(func(ctx context.Context, req feeddoc.Request) (feeddoc.Result, error) {
		res := feedparse.Parse(req)
		code := ""
		if res.Error != nil {
			code = res.Error.Code
		}
		slog.InfoContext(ctx, "parse", "url", req.URL, "content_type", req.ContentType, "bytes", len(req.Body),
			"items", len(res.Items), "bad", res.Bad, "ignored", res.Ignored, "error", code)
		return res, nil
	})
}
