package cli

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRandomUUID(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		r := mustRun(t, "", "storage", "random-uuid")
		id := strings.TrimSpace(r.out)
		if b, err := base64.RawURLEncoding.DecodeString(id); err != nil || len(b) != 16 || id[0] == '-' {
			t.Fatalf("bad uuid %q", id)
		}
		if seen[id] {
			t.Fatalf("uuid %q repeated", id)
		}
		seen[id] = true
	}
}

func writeServerProps(t *testing.T, dirs ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "server.properties")
	body := "process.roles=broker,controller\nnode.id=3\nlisteners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093\n" +
		"controller.listener.names=CONTROLLER\ncontroller.quorum.voters=3@127.0.0.1:9093\nlog.dirs=" + strings.Join(dirs, ",") + "\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestStorageFormatAndInfo(t *testing.T) {
	base := t.TempDir()
	d1, d2 := filepath.Join(base, "a"), filepath.Join(base, "b")
	cfg := writeServerProps(t, d1, d2)
	id := strings.TrimSpace(mustRun(t, "", "storage", "random-uuid").out)

	r := execute(t, "", "storage", "info", "-c", cfg)
	if r.e == nil || !strings.Contains(r.out, "is not formatted") {
		t.Fatalf("info before format: %v\n%s", r.e, r.out)
	}
	r = mustRun(t, "", "storage", "format", "-t", id, "-c", cfg)
	if strings.Count(r.out, "Formatting ") != 2 {
		t.Fatalf("format printed %q", r.out)
	}
	for _, d := range []string{d1, d2} {
		props, err := loadProperties(filepath.Join(d, metaPropertiesFile))
		if err != nil {
			t.Fatal(err)
		}
		if props["cluster.id"] != id || props["node.id"] != "3" || props["version"] != "1" || props["directory.id"] == "" {
			t.Fatalf("%s meta.properties = %v", d, props)
		}
	}
	if r := execute(t, "", "storage", "format", "-t", id, "-c", cfg); r.e == nil || !strings.Contains(r.e.Error(), "already formatted") {
		t.Fatalf("second format: %v", r.e)
	}
	if r := mustRun(t, "", "storage", "format", "-t", id, "-c", cfg, "--ignore-formatted"); !strings.Contains(r.out, "already formatted") {
		t.Fatalf("--ignore-formatted printed %q", r.out)
	}
	r = mustRun(t, "", "storage", "info", "-c", cfg)
	if !strings.Contains(r.out, "Found log directories:\n  "+d1+"\n  "+d2) || !strings.Contains(r.out, "cluster.id="+id) || !strings.Contains(r.out, "node.id=3") {
		t.Fatalf("info printed:\n%s", r.out)
	}
}

func TestInstallLinks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bin")
	target := filepath.Join(t.TempDir(), "samsa")
	if err := os.WriteFile(target, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a second run replaces the links
		mustRun(t, "", "install-links", "--target", target, dir)
	}
	for _, name := range []string{"kafka-topics.sh", "kafka-topics", "kafka-server-start.sh", "kafka-console-consumer.sh",
		"kafka-console-producer", "kafka-configs.sh", "kafka-broker-api-versions.sh", "kafka-producer-perf-test.sh",
		"kafka-consumer-perf-test.sh", "kafka-storage.sh"} {
		got, err := os.Readlink(filepath.Join(dir, name))
		if err != nil || got != target {
			t.Errorf("%s -> %q, %v; want %s", name, got, err, target)
		}
		args, err := ResolveArgs([]string{filepath.Join(dir, name)})
		if err != nil || len(args) != 1 {
			t.Errorf("link %s does not dispatch: %v %v", name, args, err)
		}
	}
	regular := filepath.Join(dir, "kafka-configs")
	os.Remove(regular)
	if err := os.WriteFile(regular, []byte("real file"), 0o755); err != nil {
		t.Fatal(err)
	}
	if r := execute(t, "", "install-links", "--target", target, dir); r.e == nil || !strings.Contains(r.e.Error(), "not a symlink") {
		t.Fatalf("regular file overwritten? %v", r.e)
	}
}

func TestServerLoad(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	o := &serverOptions{overrides: []string{"zookeeper.connect=localhost:2181", "log.dirs=" + t.TempDir()}}
	cfg, err := o.load("", logger)
	if err != nil {
		t.Fatalf("embedded config: %v", err)
	}
	if cfg.NodeID != 1 {
		t.Errorf("node.id = %d", cfg.NodeID)
	}
	if n := strings.Count(logs.String(), "ignoring config keys not used by samsa"); n != 1 || !strings.Contains(logs.String(), "zookeeper.connect") {
		t.Errorf("ignored keys logged %d times:\n%s", n, logs.String())
	}
	o = &serverOptions{overrides: []string{"num.partitions=zero", "default.replication.factor=-7"}}
	_, err = o.load("", logger)
	if lines := ErrorLines(err); len(lines) < 3 || !strings.Contains(err.Error(), "num.partitions") || !strings.Contains(err.Error(), "default.replication.factor") {
		t.Fatalf("want every problem on its own line, got %q", lines)
	}
	if _, err := o.load(filepath.Join(t.TempDir(), "missing.properties"), logger); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestNewLogger(t *testing.T) {
	var buf bytes.Buffer
	l, err := newLogger(&buf, "warn", "json")
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hidden")
	l.Warn("shown", "k", 1)
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), `"msg":"shown"`) {
		t.Fatalf("log output %q", buf.String())
	}
	if _, err := newLogger(&buf, "info", "xml"); err == nil {
		t.Fatal("xml format accepted")
	}
}
