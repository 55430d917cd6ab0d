package nodedir

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/samsa-io/samsa/internal/config"
)

func TestMetaPropertiesDirectoryIDs(t *testing.T) {
	base := t.TempDir()
	meta, data := filepath.Join(base, "meta"), filepath.Join(base, "data")
	cfg := config.Default()
	cfg.NodeID = 3
	cfg.LogDirs = []string{data}
	// A log dir written by an older Samsa, without a directory.id.
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	old := "#\n#samsa\nnode.id=3\nversion=1\ncluster.id=c1\n"
	if err := os.WriteFile(filepath.Join(data, "meta.properties"), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	ids, err := WriteMetaProperties(cfg, "c1", meta)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0] == ids[1] || ids[0] == [16]byte{} || ids[1] == [16]byte{} {
		t.Fatalf("ids %x: want two distinct, non-zero, the metadata dir's first", ids)
	}
	for i, dir := range []string{meta, data} {
		b, err := os.ReadFile(filepath.Join(dir, "meta.properties"))
		if err != nil {
			t.Fatal(err)
		}
		want := "directory.id=" + base64.RawURLEncoding.EncodeToString(ids[i][:]) + "\n"
		if !strings.Contains(string(b), want) || !strings.Contains(string(b), "node.id=3\n") ||
			!strings.Contains(string(b), "cluster.id=c1\n") {
			t.Errorf("%s/meta.properties:\n%s\nwant %q", dir, b, want)
		}
	}
	// The ids persist across restarts.
	again, err := WriteMetaProperties(cfg, "c1", meta)
	if err != nil || len(again) != 2 || again[0] != ids[0] || again[1] != ids[1] {
		t.Fatalf("second start: %x, %v; want %x", again, err, ids)
	}
	// With the metadata log in the first log dir, it is one dir, one id.
	ids, err = WriteMetaProperties(cfg, "c1", data)
	if err != nil || len(ids) != 1 || ids[0] != again[1] {
		t.Fatalf("metadata in the log dir: %x, %v; want [%x]", ids, err, again[1])
	}
	// Another node's dir, or a broken id, is refused.
	if _, err := WriteMetaProperties(&config.Broker{NodeID: 4, LogDirs: []string{data}}, "c1", data); err == nil {
		t.Error("another node's dir accepted")
	}
	bad := filepath.Join(base, "bad")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "meta.properties"), []byte(old+"directory.id=nope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteMetaProperties(cfg, "c1", bad); err == nil {
		t.Error("a directory.id that is no Uuid accepted")
	}
}

// A directory written by another cluster, another node or a newer binary is
// refused with a message naming both sides, and left as it was.
func TestMetaPropertiesRefusesForeignAndNewerDirs(t *testing.T) {
	cases := []struct {
		name, content, want string
	}{
		{"other cluster", "node.id=3\nversion=1\ncluster.id=other\n", "cluster.id other does not match the metadata log's cluster id c1"},
		{"other node", "node.id=7\nversion=1\ncluster.id=c1\n", "node.id 7 does not match configured node.id 3"},
		{"newer version", "node.id=3\nversion=2\ncluster.id=c1\n", "version 2 is newer than this binary understands"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "meta.properties")
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg := &config.Broker{NodeID: 3, LogDirs: []string{dir}}
			_, err := WriteMetaProperties(cfg, "c1", dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if b, _ := os.ReadFile(path); string(b) != tc.content {
				t.Fatalf("the file was rewritten:\n%s", b)
			}
		})
	}
}
