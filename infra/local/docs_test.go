package local_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kiosk-news/kiosk/infra/local"
)

// TestTheAPIReferenceOpensInARealBrowser opens /_local/docs in headless
// Chromium, as an app developer would from make dev's banner: Redoc renders
// the contract (its title, an operation, the production differences), and
// every resource the page loaded came from the local cloud, none from a CDN.
func TestTheAPIReferenceOpensInARealBrowser(t *testing.T) {
	bctx := browser(t, 2*time.Minute)

	if err := chromedp.Do(bctx, chromedp.Navigate(cloud.APIURL+local.DocsPath)); err != nil {
		t.Fatalf("open %s: %v", local.DocsPath, err)
	}
	want := []string{"Kiosk HTTP API", "Register an anonymous app install", "Production differences", "Token lifecycle"}
	var body string
	for deadline := time.Now().Add(90 * time.Second); ; {
		s, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.innerText`))
		if err != nil {
			t.Fatal(err)
		}
		body = s
		missing := 0
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reference never showed %q; the page reads: %.500s", want, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	resources, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`[location.href, ...performance.getEntriesByType("resource").map(e => e.name)]`))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resources {
		if !strings.HasPrefix(r, cloud.APIURL+"/") && !strings.HasPrefix(r, "blob:") && !strings.HasPrefix(r, "data:") {
			t.Errorf("the reference loaded %s, which is not the local cloud", r)
		}
	}
	if len(resources) < 3 {
		t.Errorf("resources loaded: %v, want the page, Redoc and openapi.json", resources)
	}
	shots := filepath.Join(root, "build", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err == nil {
		if b, err := chromedp.Run(bctx, chromedp.CaptureScreenshot()); err == nil {
			_ = os.WriteFile(filepath.Join(shots, "api-reference.png"), b, 0o644)
		}
	}
}
