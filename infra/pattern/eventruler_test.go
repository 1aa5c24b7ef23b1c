package pattern

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestAgainstAWSAnswers checks the matcher against AWS's own answers: the
// pattern/event pairs and validity cases of event-ruler's unit tests and the
// EventBridge user guide, kept outside this repository. It reads the file named
// by KIOSK_EVENTRULER_CASES (default ../shared/eventruler-check/cases.json from
// the repository root) and is skipped when the file is absent.
//
//	go test -count=1 -run TestAgainstAWSAnswers -v ./infra/pattern
func TestAgainstAWSAnswers(t *testing.T) {
	path := os.Getenv("KIOSK_EVENTRULER_CASES")
	if path == "" {
		path = filepath.Join("..", "..", "..", "shared", "eventruler-check", "cases.json")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("AWS's answers are not here (%v): set KIOSK_EVENTRULER_CASES to eventruler-check's cases.json", err)
	}
	var cases struct {
		Match []struct {
			ID, Pattern, Event string
			AWS                bool
		}
		Validity []struct {
			ID, Pattern string
			AWSValid    bool   `json:"aws_valid"`
			AWSError    string `json:"aws_error"`
		}
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	var wrong, invalidAccepted, unsupported int
	for _, c := range cases.Match {
		p, err := Parse([]byte(c.Pattern))
		if err != nil {
			unsupported++
			t.Logf("%s refused (%v): %s", c.ID, err, c.Pattern)
			continue
		}
		if got := p.Match([]byte(c.Event)); got != c.AWS {
			wrong++
			t.Logf("%s: matched %v, AWS %v\npattern %s\nevent %s", c.ID, got, c.AWS, c.Pattern, c.Event)
		}
	}
	for _, c := range cases.Validity {
		_, err := Parse([]byte(c.Pattern))
		switch {
		case err == nil && !c.AWSValid:
			invalidAccepted++
			t.Logf("%s accepted, AWS refuses (%s): %s", c.ID, c.AWSError, c.Pattern)
		case err != nil && c.AWSValid:
			unsupported++
			t.Logf("%s refused (%v), AWS accepts: %s", c.ID, err, c.Pattern)
		}
	}
	t.Logf("%d match and %d validity cases: %d wrong, %d invalid accepted, %d unsupported",
		len(cases.Match), len(cases.Validity), wrong, invalidAccepted, unsupported)
	if wrong+invalidAccepted+unsupported > 0 {
		t.Errorf("%d wrong, %d invalid accepted, %d unsupported", wrong, invalidAccepted, unsupported)
	}
}
