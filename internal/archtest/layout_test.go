package archtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// README's Layout lists every package with a line of its own ("path/  what
// it is"), so a newcomer finds each one; a package added without a line
// fails here.
func TestReadmeLayoutListsEveryPackage(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(string(readme), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasSuffix(f[0], "/") {
			listed[strings.TrimSuffix(f[0], "/")] = true
		}
	}
	for _, top := range []string{"cmd", "internal", "pkg", "protocol", "test"} {
		filepath.WalkDir(filepath.Join(root, top), func(path string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			if d.Name() == "node_modules" || d.Name() == "testdata" || d.Name() == "target" || d.Name() == "java" {
				return filepath.SkipDir
			}
			goFiles, _ := filepath.Glob(filepath.Join(path, "*.go"))
			if len(goFiles) == 0 {
				return nil
			}
			rel, _ := filepath.Rel(root, path)
			if rel = filepath.ToSlash(rel); !listed[rel] {
				t.Errorf("README.md Layout has no line for %s/", rel)
			}
			return nil
		})
	}
}
