package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/samsa-io/samsa/"

// forbidden maps a package (path relative to the module root) to import
// prefixes it must not use. A prefix ending in "/" matches a subtree.
var forbidden = map[string][]string{
	"protocol":            {module + "internal/", module + "pkg/"},
	"protocol/records":    {module + "internal/", module + "pkg/", "github.com/twmb/franz-go/pkg/kmsg"},
	"internal/storage":    {"github.com/twmb/franz-go/pkg/kmsg", "github.com/twmb/franz-go/pkg/kerr", module + "internal/partition", module + "internal/handler", module + "internal/server", module + "internal/network", module + "internal/controller"},
	"internal/metadata":   {"github.com/twmb/franz-go/pkg/kmsg", module + "internal/"},
	"internal/partition":  {"github.com/twmb/franz-go/pkg/kmsg", "github.com/twmb/franz-go/pkg/kerr", module + "internal/handler", module + "internal/server", module + "internal/network", module + "internal/controller"},
	"internal/controller": {"github.com/twmb/franz-go/pkg/kmsg", "github.com/twmb/franz-go/pkg/kerr", module + "internal/handler", module + "internal/server", module + "internal/network", module + "internal/partition", module + "internal/storage"},
	"internal/group":      {"github.com/twmb/franz-go/pkg/kmsg", "github.com/twmb/franz-go/pkg/kerr", module + "internal/handler", module + "internal/server", module + "internal/network", module + "internal/partition", module + "internal/storage"},
	"internal/txn":        {"github.com/twmb/franz-go/pkg/kmsg", module + "internal/handler", module + "internal/server"},
	"internal/share":      {"github.com/twmb/franz-go/pkg/kmsg", "github.com/twmb/franz-go/pkg/kerr", module + "internal/handler", module + "internal/server", module + "internal/network", module + "internal/partition", module + "internal/storage", module + "internal/group"},
	"internal/config":     {module + "internal/", "github.com/twmb/franz-go/"},
	"internal/network":    {module + "internal/handler", module + "internal/server", module + "internal/partition", module + "internal/controller"},
	"internal/handler":    {module + "internal/server", module + "internal/network", module + "internal/cli", module + "internal/lifecycle", module + "internal/listeners", module + "internal/topiclog", module + "internal/interbroker", module + "internal/nodedir"},
	"internal/server":     {module + "internal/cli"},
	// verify is a client of the cluster it checks, as the tests are.
	"internal/verify": {module + "internal/"},

	// The node's runtime, split out of server. Each may use the
	// layers below it, never server, handler or a sibling above it.
	"internal/interbroker": {module + "internal/server", module + "internal/handler", module + "internal/partition", module + "internal/group", module + "internal/controller", module + "internal/storage", module + "internal/replication", module + "internal/lifecycle", module + "internal/topiclog", module + "internal/listeners"},
	"internal/replication": {module + "internal/server", module + "internal/handler", module + "internal/controller", module + "internal/group", module + "internal/txn", module + "internal/lifecycle", module + "internal/topiclog", module + "internal/listeners"},
	"internal/topiclog":    {"github.com/twmb/franz-go/pkg/kmsg", "github.com/twmb/franz-go/pkg/kerr", module + "internal/server", module + "internal/handler", module + "internal/network", module + "internal/controller", module + "internal/interbroker", module + "internal/replication", module + "internal/lifecycle", module + "internal/listeners"},
	"internal/lifecycle":   {module + "internal/server", module + "internal/handler", module + "internal/group", module + "internal/txn", module + "internal/storage", module + "internal/replication", module + "internal/topiclog", module + "internal/listeners"},
	"internal/listeners":   {"github.com/twmb/franz-go/pkg/kmsg", module + "internal/server", module + "internal/handler", module + "internal/partition", module + "internal/controller", module + "internal/group", module + "internal/txn", module + "internal/storage", module + "internal/replication", module + "internal/lifecycle", module + "internal/topiclog", module + "internal/interbroker"},
	"internal/nodemetrics": {"github.com/twmb/franz-go/", module + "internal/server", module + "internal/handler", module + "internal/network", module + "internal/replication", module + "internal/lifecycle", module + "internal/topiclog", module + "internal/listeners", module + "internal/interbroker", module + "internal/nodedir"},
	"internal/nodedir":     {"github.com/twmb/franz-go/", module + "internal/server", module + "internal/handler", module + "internal/network", module + "internal/partition", module + "internal/controller", module + "internal/group", module + "internal/txn", module + "internal/replication", module + "internal/lifecycle", module + "internal/topiclog", module + "internal/listeners", module + "internal/interbroker", module + "internal/metadata"},
}

// onlyImportedBy maps a package to the only packages (besides its own
// tests) that may import it: the runtime parts a node is wired from are
// wired in one place, server, so none of them grows a second composition
// root.
var onlyImportedBy = map[string][]string{
	"internal/lifecycle":   {"internal/server"},
	"internal/listeners":   {"internal/server"},
	"internal/nodedir":     {"internal/server"},
	"internal/nodemetrics": {"internal/server"},
	"internal/topiclog":    {"internal/server"},
	"internal/interbroker": {"internal/server", "internal/replication", "internal/lifecycle"},
}

func TestOnlyServerWiresTheRuntime(t *testing.T) {
	root := filepath.Join("..", "..")
	var dirs []string
	for _, top := range []string{"internal", "pkg", "cmd"} {
		filepath.WalkDir(filepath.Join(root, top), func(path string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, path)
			}
			return nil
		})
	}
	if len(dirs) == 0 {
		t.Fatal("found no package directories")
	}
	for _, dir := range dirs {
		rel, _ := filepath.Rel(root, dir)
		pkg := filepath.ToSlash(rel)
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			for _, imp := range imports(t, f) {
				target, ok := strings.CutPrefix(imp, module)
				if !ok || target == pkg {
					continue
				}
				allowed, restricted := onlyImportedBy[target]
				if restricted && !slices.Contains(allowed, pkg) {
					t.Errorf("%s (%s) imports %s, which only %v may import", filepath.Base(f), pkg, target, allowed)
				}
			}
		}
	}
}

func TestImportDirection(t *testing.T) {
	root := filepath.Join("..", "..")
	for pkg, bans := range forbidden {
		dir := filepath.Join(root, filepath.FromSlash(pkg))
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		if len(files) == 0 {
			t.Errorf("%s: no Go files; update this test if the package moved", pkg)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			for _, imp := range imports(t, f) {
				for _, ban := range bans {
					if imp == ban || strings.HasPrefix(imp, strings.TrimSuffix(ban, "/")+"/") {
						t.Errorf("%s imports %s, which docs/architecture.md §4 forbids", filepath.Base(f), imp)
					}
				}
			}
		}
	}
}

func imports(t *testing.T, file string) []string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), file, src, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		out = append(out, p)
	}
	return out
}
