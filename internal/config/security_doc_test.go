package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSecurityDocExamplesParse keeps docs/security.md's server.properties
// examples valid.
func TestSecurityDocExamplesParse(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "security.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```properties\n(.*?)```").FindAllStringSubmatch(string(raw), -1)
	n := 0
	for _, b := range blocks {
		if !strings.Contains(b[1], "listeners=") {
			continue // client properties
		}
		n++
		cfg, ignored, err := Parse([]byte(b[1]), "security.md", []string{"log.dirs=" + t.TempDir(), "node.id=1"})
		if err != nil {
			t.Errorf("example %d: %v\n%s", n, err, b[1])
			continue
		}
		if len(ignored) > 0 {
			t.Errorf("example %d ignores %v", n, ignored)
		}
		s := cfg.ListenerSecurity(cfg.InterBrokerListenerName)
		if !s.TLS() {
			t.Errorf("example %d: inter-broker listener is not TLS", n)
		}
		if s.SASL() && s.JAAS[s.InterBrokerMechanism] == "" {
			t.Errorf("example %d: no JAAS config for %s", n, s.InterBrokerMechanism)
		}
	}
	if n != 3 {
		t.Fatalf("found %d server examples, want 3", n)
	}
}
