package arch

import (
	"bufio"
	"bytes"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/kiosk-news/kiosk/"

// root is the repository root (two folders up from infra/arch).
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

type goFile struct {
	path    string // relative to the root
	pkg     string // folder relative to the root
	test    bool
	imports []string
	src     []byte
}

// files parses the imports of every Go file under the given top folders.
func files(t *testing.T, tops ...string) []goFile {
	t.Helper()
	r := root(t)
	var out []goFile
	for _, top := range tops {
		err := filepath.WalkDir(filepath.Join(r, top), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(p, ".go") {
				return nil
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			f, err := parser.ParseFile(token.NewFileSet(), p, src, parser.ImportsOnly)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(r, p)
			g := goFile{path: filepath.ToSlash(rel), pkg: filepath.ToSlash(filepath.Dir(rel)), test: strings.HasSuffix(p, "_test.go"), src: src}
			for _, im := range f.Imports {
				v, _ := strconv.Unquote(im.Path.Value)
				g.imports = append(g.imports, v)
			}
			out = append(out, g)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(out) == 0 {
		t.Fatal("no Go files found")
	}
	return out
}

// domain is the business domain a package belongs to ("" for platform and
// everything else): shared/<domain>/... .
func domain(pkg string) string {
	parts := strings.Split(pkg, "/")
	if len(parts) < 2 || parts[0] != "shared" || parts[1] == "platform" || parts[1] == "kiosk" {
		return ""
	}
	return parts[1]
}

// The console's shared web layer and auth are used by several domains'
// functions; they are libraries, not domains.
var libraries = []string{"console", "auth"}

// peerBaseline is the one infra/ package a test under functions/ may import:
// the peer's handler (infra/bench/peer), so that a benchmark sets a
// function's whole path against it in one process. It links the AWS SDK and
// aws-lambda-go only (TestThePeerBaselineLinksNoInfra).
const peerBaseline = module + "infra/bench/peer/getproduct"

func TestNothingUnderSharedOrFunctionsImportsInfra(t *testing.T) {
	for _, f := range files(t, "shared", "functions") {
		for _, im := range f.imports {
			if f.test && strings.HasPrefix(f.pkg, "functions/") && im == peerBaseline {
				continue
			}
			if strings.HasPrefix(im, module+"infra/") {
				t.Errorf("%s imports %s: shared/ and functions/ (tests too) must not depend on infra/", f.path, im)
			}
		}
	}
}

func TestNoDomainImportsAnotherAndPlatformImportsNoDomain(t *testing.T) {
	for _, f := range files(t, "shared") {
		from := domain(f.pkg)
		for _, im := range f.imports {
			if !strings.HasPrefix(im, module+"shared/") {
				continue
			}
			to := domain(strings.TrimPrefix(im, module))
			switch {
			case to == "" || slices.Contains(libraries, to):
			case strings.HasPrefix(f.pkg, "shared/platform"), f.pkg == "shared/kiosk":
				t.Errorf("%s (platform) imports the domain package %s", f.path, im)
			case from != "" && from != to && !slices.Contains(libraries, from) && !f.test:
				t.Errorf("%s (domain %s) imports domain %s: domains speak through events", f.path, from, to)
			}
		}
	}
}

// Only boot (a function's init; pure, the init of a function that calls no
// AWS API) and awsenv (the SDK's own variables) read the process environment
// — and selfprofile, make bench's switch, compiled in only with -tags pprof;
// everything else is handed what it needs.
func TestOnlyBootAndAwsenvReadTheEnvironment(t *testing.T) {
	allowed := []string{"shared/platform/boot", "shared/platform/pure", "shared/platform/awsenv", "shared/platform/selfprofile"}
	for _, f := range files(t, "shared", "functions") {
		if f.test || slices.Contains(allowed, f.pkg) {
			continue
		}
		for _, call := range []string{"os.Getenv(", "os.LookupEnv(", "os.Environ("} {
			if bytes.Contains(f.src, []byte(call)) {
				t.Errorf("%s calls %s…): take the setting from boot.Env", f.path, strings.TrimSuffix(call, "("))
			}
		}
	}
}

// A function's main wires: it builds the environment, the stores and the
// service, and hands HTTP requests or events to one service method each.
// Business rules live in shared/<domain>.
func TestEveryMainOnlyWires(t *testing.T) {
	const maxLines = 60
	mains, err := filepath.Glob(filepath.Join(root(t), "functions", "*", "main.go"))
	if err != nil || len(mains) == 0 {
		t.Fatalf("no mains: %v", err)
	}
	for _, m := range mains {
		lines := countLines(t, m)
		if lines > maxLines {
			rel, _ := filepath.Rel(root(t), m)
			t.Errorf("%s has %d lines (over %d): move what decides into its domain's service", rel, lines, maxLines)
		}
	}
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	s := bufio.NewScanner(f)
	for s.Scan() {
		n++
	}
	return n
}

func TestThePeerBaselineLinksNoInfra(t *testing.T) {
	for _, f := range files(t, "infra/bench/peer/getproduct") {
		for _, im := range f.imports {
			if strings.HasPrefix(im, module) {
				t.Errorf("%s imports %s: the peer baseline stands alone (AWS SDK and aws-lambda-go only)", f.path, im)
			}
		}
	}
}

// Every function starts through boot (boot.Init) or, calling no AWS API,
// pure (pure.Start), and both set GOMAXPROCS from the memory size through
// procs (their own tests hold that they call it): no function runs a P per
// CPU the instance shows. A function that linked neither — parse-feed
// before pure called procs.Set — would spin an idle P out of its vCPU share.
func TestEveryFunctionStartsThroughAnInitThatSetsGOMAXPROCS(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{.Name}} {{join .Imports \",\"}} {{join .Deps \",\"}}", "./functions/...", "./shared/platform/boot", "./shared/platform/pure")
	cmd.Dir = root(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const procs = module + "shared/platform/procs"
	inits := []string{module + "shared/platform/boot", module + "shared/platform/pure"}
	mains := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			t.Fatalf("go list line %q", line)
		}
		path, name, imports := f[0], f[1], strings.Split(f[2], ",")
		deps := []string{}
		if len(f) > 3 {
			deps = strings.Split(f[3], ",")
		}
		switch {
		case slices.Contains(inits, path):
			if !slices.Contains(imports, procs) {
				t.Errorf("%s does not import procs: a function it starts keeps GOMAXPROCS at the instance's CPUs", path)
			}
		case name == "main":
			mains++
			if !slices.ContainsFunc(inits, func(p string) bool { return slices.Contains(deps, p) }) || !slices.Contains(deps, procs) {
				t.Errorf("%s links neither boot nor pure (or not procs): start it with boot.Init or pure.Start", path)
			}
		}
	}
	if mains < 20 {
		t.Errorf("found %d functions, want every one under functions/", mains)
	}
}
