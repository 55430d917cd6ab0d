package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
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
	"internal/handler":    {module + "internal/server", module + "internal/network", module + "internal/cli"},
	"internal/server":     {module + "internal/cli"},
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
						t.Errorf("%s imports %s, which ARCHITECTURE.md forbids", filepath.Base(f), imp)
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
