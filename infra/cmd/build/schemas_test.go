package main

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/kiosk-news/kiosk/infra/dist"
)

// schemaSerde names the packages an SDK service client links once it uses
// schema-based serialization: every operation's schema, built at init
// whether the function calls it or not (+0.4 to 0.75 MiB a bootstrap).
var schemaSerde = regexp.MustCompile(`^github\.com/aws/aws-sdk-go-v2/service/[a-z0-9]+/schemas$`)

// go.mod holds each SDK client Kiosk uses at its last release with generated
// serializers; a `go get -u` that moves one past it shows here, by name,
// rather than as a few hundred KiB in every bootstrap.
func TestNoFunctionLinksTheSDKsSchemaSerde(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", dist.Tags, "../../../functions/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	var found []string
	for _, p := range strings.Fields(string(out)) {
		if schemaSerde.MatchString(p) {
			found = append(found, p)
		}
	}
	if len(found) > 0 {
		t.Errorf("functions link schema-based serde: %s (hold the client at its release before it, see README: Builds)", strings.Join(found, ", "))
	}
}
