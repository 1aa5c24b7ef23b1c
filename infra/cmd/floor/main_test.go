package main

import (
	"os"
	"slices"
	"testing"
)

func TestAFunctionsFloorLinksTheChosenLibrariesItLinks(t *testing.T) {
	if err := os.Chdir("../../.."); err != nil {
		t.Fatal(err)
	}
	for fn, want := range map[string][]string{
		"track-articles":  nil,
		"authorizer":      {"floor_secretsmanager"},
		"websub-callback": {"floor_eventbridge", "floor_proxy"},
		"admin-ops":       {"floor_proxy", "floor_sqs"}, // Invoke signed by shared/platform/invoke
		"ingest-feeds":    nil,
		"parse-feed":      {"floor_gofeed", "floor_nodynamo"},
		// Only the console's article pages announce: the rest of the
		// console links no EventBridge client (README: Builds).
		"admin-console":    {"floor_proxy"},
		"admin-moderation": {"floor_eventbridge", "floor_proxy"},
	} {
		got, _, err := tagsOf("./functions/" + fn)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: floor tags %v, want %v", fn, got, want)
		}
	}
}
