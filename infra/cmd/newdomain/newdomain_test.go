package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// copyRepo copies the tracked files into a temporary tree (node_modules is
// linked) so the scaffold can run as on a fresh clone.
func copyRepo(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	dst := t.TempDir()
	for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue // deleted in the work tree
		}
		p := filepath.Join(dst, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(root, "node_modules"), filepath.Join(dst, "node_modules")); err != nil {
		t.Fatal(err)
	}
	return dst
}

func snapshot(t *testing.T, root string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, f := range []string{"infra/topology/kiosk.go", "infra/topology/openapi.json", "README.md", "events/events.go"} {
		b, _ := os.ReadFile(filepath.Join(root, f))
		m[f] = b
	}
	return m
}

// TestScaffoldBuildsAndPasses is the README's "Add a domain" walkthrough on a
// copy of the repository: the new domain has the one domain shape, builds,
// its store suite passes against memory and dynalite and its service tests
// without Node, the topology (with its OpenAPI check) and event catalogue pass.
func TestScaffoldBuildsAndPasses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole module in a copy")
	}
	root := copyRepo(t)
	if err := run(root, "weather", "weather.updated", true); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "test", "./shared/weather", "./infra/topology", "./events", "./infra/cmd/diagram")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tests of the new domain: %v\n%s", err, out)
	}
	readme, _ := os.ReadFile(filepath.Join(root, "README.md"))
	if !bytes.Contains(readme, []byte("## The weather domain")) {
		t.Error("no README section")
	}
	for _, f := range []string{"events/schemas/weather.updated.json", "events/samples/weather.updated.json", "functions/weather-api/main.go",
		"shared/weather/weather.go", "shared/weather/store.go", "shared/weather/service.go", "shared/weather/dynamo.go",
		"shared/weather/memory.go", "shared/weather/events.go", "shared/weather/store_suite_test.go", "shared/weather/service_test.go"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("%s is missing", f)
		}
	}
	main, _ := os.ReadFile(filepath.Join(root, "functions/weather-api/main.go"))
	if n := bytes.Count(main, []byte("\n")); n > 60 {
		t.Errorf("the generated main has %d lines; a main is wiring only (at most about 60)", n)
	}
	service, _ := os.ReadFile(filepath.Join(root, "shared/weather/service.go"))
	if !bytes.Contains(service, []byte("page.Cursor(")) || !bytes.Contains(service, []byte("page.Limit(")) {
		t.Error("the generated list does not use shared/platform/page")
	}
	// The service's rules are tested on the memory store: they pass with no
	// Node (dynalite) at all.
	if err := os.Remove(filepath.Join(root, "node_modules")); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command("go", "test", "-count=1", "-run", "TestService|TestMemoryStore", "-v", "./shared/weather")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: TestServiceListsEveryItemOnceAcrossPages")) ||
		!bytes.Contains(out, []byte("--- PASS: TestMemoryStoreKeepsItemsAsTheDynamoStoreDoes")) {
		t.Errorf("the service tests without Node: %v\n%s", err, out)
	}
	if err := run(root, "weather", "", false); err == nil {
		t.Error("scaffolding the same domain twice succeeded")
	}
}

func TestScaffoldRefusesAndChangesNothing(t *testing.T) {
	root := copyRepo(t)
	before := snapshot(t, root)
	for name, args := range map[string][2]string{
		"an invalid name":            {"Weather!", ""},
		"a name with a dash":         {"my-domain", ""},
		"a reserved word":            {"kiosk", ""},
		"an existing domain":         {"article", ""},
		"an existing table":          {"users", ""},
		"an event of another domain": {"weather", "article.updated"},
		"a malformed event":          {"weather", "weather"},
	} {
		t.Run("it refuses "+name, func(t *testing.T) {
			_, existed := os.Stat(filepath.Join(root, "shared", args[0]))
			if err := run(root, args[0], args[1], false); err == nil {
				t.Fatalf("run(%q, %q) succeeded", args[0], args[1])
			}
			after := snapshot(t, root)
			for f := range before {
				if !bytes.Equal(before[f], after[f]) {
					t.Errorf("%s changed", f)
				}
			}
			if _, err := os.Stat(filepath.Join(root, "shared", args[0])); err == nil && existed != nil {
				t.Errorf("shared/%s was left behind", args[0])
			}
		})
	}
}
