package compat

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// TestConfluentKafkaPython runs python/roundtrip.py (AdminClient create,
// list and delete; idempotent Producer; assign-based Consumer) with the
// Debian interpreter that has confluent_kafka.
func TestConfluentKafkaPython(t *testing.T) {
	python := harness.RequirePythonModule(t, "confluent_kafka")
	b := harness.Start(t, nil)
	script, err := filepath.Abs(filepath.Join("python", "roundtrip.py"))
	if err != nil {
		t.Fatal(err)
	}
	r := harness.Run(4*time.Minute, "", python, script, b.Addr, "python-roundtrip", "10000")
	if r.Err != nil {
		t.Fatalf("%s %s: %s", python, script, r)
	}
	if !strings.Contains(r.Stdout, "OK:") {
		t.Fatalf("script did not report OK: %s", r)
	}
	t.Log(strings.TrimSpace(r.Stdout))
}
