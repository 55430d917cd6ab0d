package config

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// keyShape is what a server.properties key looks like.
var keyShape = regexp.MustCompile(`^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$`)

// acceptedBrokerKeys finds every server.properties key this package
// accepts without a hand-kept list: it takes each string literal of the
// package's source that looks like a key and keeps those the reader
// consumes (a key it does not use comes back as ignored). A key added to
// the reader is therefore found automatically.
func acceptedBrokerKeys(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	candidates := map[string]bool{}
	fset := token.NewFileSet()
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && keyShape.MatchString(s) {
					candidates[s] = true
				}
			}
			return true
		})
	}
	var keys []string
	for k := range candidates {
		_, ignored, _ := fromRaw(map[string]string{k: "x"}, map[string]string{k: "test"})
		if !slices.Contains(ignored, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if len(keys) < 30 {
		t.Fatalf("found only %d accepted keys (%v): the discovery is broken", len(keys), keys)
	}
	return keys
}

// TestConfigurationReferenceIsComplete fails when docs/configuration.md
// lacks a server.properties key the config package accepts or a topic
// config key it knows.
func TestConfigurationReferenceIsComplete(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatalf("configuration reference: %v", err)
	}
	doc := string(raw)
	for _, k := range acceptedBrokerKeys(t) {
		if !strings.Contains(doc, "`"+k+"`") {
			t.Errorf("docs/configuration.md does not document server.properties key `%s`", k)
		}
	}
	for _, d := range TopicConfigDefs() {
		if !strings.Contains(doc, "`"+d.Name+"`") {
			t.Errorf("docs/configuration.md does not document topic config `%s`", d.Name)
		}
	}
}

func TestAcceptedKeysIncludeKnownOnes(t *testing.T) {
	keys := acceptedBrokerKeys(t)
	for _, k := range []string{"node.id", "listeners", "log.dirs", "metrics.listener", "log.retention.hours"} {
		if !slices.Contains(keys, k) {
			t.Errorf("discovery missed %s", k)
		}
	}
	if slices.Contains(keys, "zookeeper.connect") {
		t.Error("zookeeper.connect reported as accepted")
	}
	t.Logf("%d keys: %s", len(keys), strings.Join(keys, " "))
}
