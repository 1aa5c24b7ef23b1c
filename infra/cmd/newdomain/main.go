// Command newdomain scaffolds a business domain (`make new-domain NAME=weather
// [EVENT=weather.updated]`) in the one domain shape: shared/<name> with a
// Service holding the rules over a Store interface, sentinel errors and their
// kiosk.Codes, a DynamoStore and a MemoryStore passing the same store suite,
// service tests on the memory store (no Node), a list paginated with
// shared/platform/page, and events.go when an event is asked for;
// functions/<name>-api, wiring only, with health, list, get and an admin
// create route; the table name and declaration in the contract, the function
// and grants in the topology (and redraws docs/topology.svg), the routes in
// openapi.json, optionally an event type with its schema and sample, and a
// README section.
// It refuses a clashing or invalid name, and on any failure — including the
// result not building — it restores every file it touched.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"
)

var (
	nameRe  = regexp.MustCompile(`^[a-z][a-z0-9]{1,19}$`)
	eventRe = regexp.MustCompile(`^[a-z][a-z0-9]*\.[a-z][a-z0-9_]*$`)
	// Names that would clash with Go, the platform or existing packages.
	reserved = map[string]bool{"kiosk": true, "platform": true, "auth": true, "main": true, "test": true, "events": true,
		"infra": true, "shared": true, "functions": true, "admin": true, "local": true, "internal": true, "vendor": true,
		"go": true, "type": true, "func": true, "map": true, "chan": true, "range": true, "select": true, "default": true}
)

func main() {
	name := flag.String("name", "", "the domain: lower-case letters and digits, e.g. weather")
	event := flag.String("event", "", "optional detail type to add to the catalogue, e.g. weather.updated")
	skipBuild := flag.Bool("skip-build", false, "do not check that the result builds (tests only)")
	flag.Parse()
	if err := run(".", *name, *event, !*skipBuild); err != nil {
		fmt.Fprintln(os.Stderr, "new-domain:", err)
		os.Exit(1)
	}
	fmt.Printf("added the %s domain: shared/%s, functions/%s-api, its table, routes and README section.\n", *name, *name, *name)
	fmt.Println("next: make test, then make dev and curl http://127.0.0.1:3000/v1/" + *name)
}

type data struct {
	Name, Title, Fn, Event, EventConst, EventType string
}

// change is one file the scaffold writes: created, or edited from old.
type change struct {
	path    string
	content []byte
	old     []byte // nil: the file is new
}

func run(root, name, event string, build bool) error {
	if !nameRe.MatchString(name) || reserved[name] {
		return fmt.Errorf("%q is not a valid domain name: 2-20 lower-case letters and digits, starting with a letter, not a reserved word", name)
	}
	if event != "" && (!eventRe.MatchString(event) || !strings.HasPrefix(event, name+".")) {
		return fmt.Errorf("%q is not a valid event type: want %s.<what_happened>", event, name)
	}
	d := data{Name: name, Title: strings.ToUpper(name[:1]) + name[1:], Fn: name + "-api"}
	if event != "" {
		what := strings.TrimPrefix(event, name+".")
		d.Event, d.EventType = event, d.Title+camel(what)
		d.EventConst = d.EventType + "Type"
	}
	for _, p := range []string{"shared/" + name, "functions/" + d.Fn} {
		if _, err := os.Stat(filepath.Join(root, p)); err == nil {
			return fmt.Errorf("%s already exists", p)
		}
	}
	tables := read(root, "shared/platform/contract/tables.go")
	if bytes.Contains(tables, []byte(`= "`+name+`"`)) || bytes.Contains(tables, []byte(d.Title+"Table ")) {
		return fmt.Errorf("the contract already names a %s table", name)
	}
	kioskGo := append(read(root, "infra/topology/kiosk.go"), tables...)
	if bytes.Contains(kioskGo, []byte(`Name: "`+name+`"`)) || bytes.Contains(kioskGo, []byte(`"`+d.Fn+`"`)) ||
		bytes.Contains(kioskGo, []byte(`Name:         "`+name+`"`)) {
		return fmt.Errorf("the topology already declares %s", name)
	}
	if event != "" && bytes.Contains(read(root, "events/events.go"), []byte(`"`+event+`"`)) {
		return fmt.Errorf("the event catalogue already has %s", event)
	}

	var changes []change
	add := func(path, tmpl string) error {
		b, err := render(tmpl, d)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if strings.HasSuffix(path, ".go") {
			if b, err = format.Source(b); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		}
		changes = append(changes, change{path: path, content: b})
		return nil
	}
	edit := func(path, marker, tmpl string) error {
		old, prev := read(root, path), -1
		for i := range changes { // several edits of one file build on each other
			if changes[i].path == path {
				old, prev = changes[i].content, i
			}
		}
		i := bytes.Index(old, []byte(marker))
		if i < 0 {
			return fmt.Errorf("%s has no %q marker", path, marker)
		}
		// insert before the marker's line
		lineStart := bytes.LastIndexByte(old[:i], '\n') + 1
		snippet, err := render(tmpl, d)
		if err != nil {
			return err
		}
		b := append(append(append([]byte{}, old[:lineStart]...), snippet...), old[lineStart:]...)
		if strings.HasSuffix(path, ".go") {
			if b, err = format.Source(b); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		}
		if strings.HasSuffix(path, ".json") && !jsonValid(b) {
			return fmt.Errorf("%s would not be valid JSON", path)
		}
		if prev >= 0 {
			changes[prev].content = b // keeps the original as old
			return nil
		}
		changes = append(changes, change{path: path, content: b, old: old})
		return nil
	}
	files := map[string]string{name + ".go": "domain.go", "store.go": "store.go", "service.go": "service.go", "dynamo.go": "dynamo.go",
		"memory.go": "memory.go", "store_suite_test.go": "store_suite_test.go", "service_test.go": "service_test.go"}
	if event != "" {
		files["events.go"] = "events.go"
	}
	var steps []error
	for _, f := range slices.Sorted(maps.Keys(files)) {
		steps = append(steps, add("shared/"+name+"/"+f, tmpl(files[f])))
	}
	steps = append(steps,
		add("functions/"+d.Fn+"/main.go", tmpl("main.go")),
		edit("shared/platform/contract/tables.go", "// new-domain:table-names", tableNameTmpl),
		edit("shared/platform/contract/tables.go", "// new-domain:tables", tableTmpl),
		edit("infra/topology/kiosk.go", "// new-domain:functions", functionEntryTmpl),
		edit("infra/topology/openapi.json", `    "/v1/health": {`, openapiTmpl),
		edit("infra/topology/openapi.json", `"name": "health",`+"\n"+`      "description": "Is the API up."`, openapiTagTmpl),
		edit("README.md", "## Builds\n", readmeTmpl),
	)
	if err := errors.Join(steps...); err != nil {
		return err
	}
	if event != "" {
		old := read(root, "events/events.go")
		b, err := insertBefore(old, "// new-domain:types", eventTypeTmpl, d)
		if err == nil {
			b, err = insertBefore(b, "// new-domain:catalog", eventCatalogTmpl, d)
		}
		if err != nil {
			return err
		}
		changes = append(changes, change{path: "events/events.go", content: b, old: old})
		if err := add("events/samples/"+event+".json", sampleTmpl); err != nil {
			return err
		}
	}
	if err := apply(root, changes); err != nil {
		return err
	}
	steps2 := [][]string{}
	if event != "" {
		steps2 = append(steps2, []string{"go", "test", "./events", "-run", "TestSchemasMatchTypes", "-update"})
	}
	// The new function joins the topology's picture.
	diagram := filepath.Join(root, "docs", "topology.svg")
	oldDiagram, diagramErr := os.ReadFile(diagram)
	steps2 = append(steps2, []string{"go", "run", "./infra/cmd/diagram", "-o", "docs/topology.svg"})
	if build {
		steps2 = append(steps2, []string{"go", "build", "./..."}, []string{"go", "vet", "./shared/" + name, "./functions/" + d.Fn, "./infra/topology"},
			[]string{"go", "test", "./infra/topology", "./events"})
	}
	for _, args := range steps2 {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			undo(root, changes)
			if event != "" {
				os.Remove(filepath.Join(root, "events/schemas", event+".json"))
			}
			if diagramErr == nil {
				os.WriteFile(diagram, oldDiagram, 0o644)
			} else {
				os.Remove(diagram)
			}
			return fmt.Errorf("%s failed, nothing was changed:\n%s", strings.Join(args, " "), out)
		}
	}
	return nil
}

func insertBefore(src []byte, marker, tmpl string, d data) ([]byte, error) {
	i := bytes.Index(src, []byte(marker))
	if i < 0 {
		return nil, fmt.Errorf("no %q marker", marker)
	}
	lineStart := bytes.LastIndexByte(src[:i], '\n') + 1
	snippet, err := render(tmpl, d)
	if err != nil {
		return nil, err
	}
	b := append(append(append([]byte{}, src[:lineStart]...), snippet...), src[lineStart:]...)
	return format.Source(b)
}

// apply writes every change, or none: on a failure it undoes what it wrote.
func apply(root string, changes []change) error {
	for i, c := range changes {
		p := filepath.Join(root, c.path)
		err := os.MkdirAll(filepath.Dir(p), 0o755)
		if err == nil {
			tmp := p + ".new-domain.tmp"
			if err = os.WriteFile(tmp, c.content, 0o644); err == nil {
				err = os.Rename(tmp, p)
			}
		}
		if err != nil {
			undo(root, changes[:i])
			return fmt.Errorf("write %s: %w", c.path, err)
		}
	}
	return nil
}

func undo(root string, changes []change) {
	for _, c := range changes {
		p := filepath.Join(root, c.path)
		if c.old == nil {
			os.Remove(p)
			dir := filepath.Dir(p)
			if entries, err := os.ReadDir(dir); err == nil && len(entries) == 0 {
				os.Remove(dir)
			}
			continue
		}
		_ = os.WriteFile(p, c.old, 0o644)
	}
}

func read(root, p string) []byte {
	b, err := os.ReadFile(filepath.Join(root, p))
	if err != nil {
		fmt.Fprintln(os.Stderr, "new-domain:", err)
		os.Exit(1)
	}
	return b
}

func render(tmpl string, d data) ([]byte, error) {
	t, err := template.New("").Delims("<%", "%>").Parse(tmpl)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = t.Execute(&b, d)
	return b.Bytes(), err
}

func camel(s string) string {
	var b strings.Builder
	for _, p := range strings.Split(s, "_") {
		if p != "" {
			b.WriteString(strings.ToUpper(p[:1]) + p[1:])
		}
	}
	return b.String()
}
