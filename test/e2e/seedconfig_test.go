package e2e

import (
	"errors"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/samsa-io/samsa/test/internal/harness"
	"github.com/twmb/franz-go/pkg/kerr"
)

// TestSeedConfig starts the broker with exactly the keys of the seed
// server.properties from the issue. Only two values differ: listeners uses
// 127.0.0.1 and a free port instead of localhost:9092, so the test neither
// collides with a broker already on 9092 nor depends on how localhost
// resolves (::1 first on some hosts), and log.dirs is a temporary directory.
func TestSeedConfig(t *testing.T) {
	port := harness.FreePort(t)
	b := harness.StartExact(t, map[string]string{
		"broker.id":                  "1",
		"listeners":                  "PLAINTEXT://127.0.0.1:" + strconv.Itoa(port),
		"log.dirs":                   filepath.Join(t.TempDir(), "kafka-logs"),
		"num.partitions":             "3",
		"default.replication.factor": "2",
		"zookeeper.connect":          "localhost:2181",
	})

	t.Run("zookeeper.connect reported as ignored", func(t *testing.T) {
		re := regexp.MustCompile(`(?i)zookeeper\.connect.*ignor|ignor.*zookeeper\.connect`)
		if err := harness.Poll(5*time.Second, func() error {
			if !re.MatchString(b.Log()) {
				return errors.New("no log line says zookeeper.connect is ignored")
			}
			return nil
		}); err != nil {
			t.Errorf("%v; log:\n%s", err, b.Log())
		}
	})

	t.Run("kadm replication factor 2", func(t *testing.T) {
		ctx := mustCtx(t, 30*time.Second)
		resp, err := b.Admin().CreateTopic(ctx, 3, 2, nil, "rf2-admin")
		if !errors.Is(err, kerr.InvalidReplicationFactor) {
			t.Fatalf("CreateTopic RF 2 on 1 broker: err %v, want INVALID_REPLICATION_FACTOR", err)
		}
		checkRFMessage(t, resp.ErrMessage)
	})

	t.Run("kadm default replication factor", func(t *testing.T) {
		ctx := mustCtx(t, 30*time.Second)
		resp, err := b.Admin().CreateTopic(ctx, -1, -1, nil, "rf-default")
		if !errors.Is(err, kerr.InvalidReplicationFactor) {
			t.Fatalf("CreateTopic with default RF (2) on 1 broker: err %v, want INVALID_REPLICATION_FACTOR", err)
		}
		checkRFMessage(t, resp.ErrMessage)
	})

	t.Run("samsa topics replication factor 2", func(t *testing.T) {
		r := harness.Tool(t, 30*time.Second, "", "topics", "--bootstrap-server", b.Addr,
			"--create", "--topic", "rf2-cli", "--partitions", "3", "--replication-factor", "2")
		if r.Err == nil {
			t.Fatalf("topics --create --replication-factor 2 succeeded on one broker:\n%s", r)
		}
		out := r.Stdout + r.Stderr
		if !strings.Contains(strings.ToLower(out), "replication") {
			t.Errorf("output does not explain the replication factor problem:\n%s", r)
		}
		checkRFMessage(t, out)
	})

	t.Run("replication factor 1 works", func(t *testing.T) {
		b.CreateTopic("rf1", 3, nil)
	})
}

// checkRFMessage wants the error message to name the requested replication
// factor 2 and the single available broker.
func checkRFMessage(t *testing.T, msg string) {
	t.Helper()
	lower := strings.ToLower(msg)
	if !strings.Contains(lower, "2") || !strings.Contains(lower, "1") || !strings.Contains(lower, "broker") {
		t.Errorf("error message %q does not mention replication factor 2 and 1 broker", msg)
	}
}
