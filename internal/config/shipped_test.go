package config

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/samsa-io/samsa/configs"
)

func TestSeedConfig(t *testing.T) {
	seed := "broker.id=1\nlisteners=PLAINTEXT://localhost:9092\nlog.dirs=/tmp/kafka-logs\n" +
		"num.partitions=3\ndefault.replication.factor=2\nzookeeper.connect=localhost:2181\n"
	b, ignored, err := Parse([]byte(seed), "seed.properties", nil)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if !slices.Equal(ignored, []string{"zookeeper.connect"}) {
		t.Errorf("ignored = %q, want [zookeeper.connect]", ignored)
	}
	if b.NodeID != 1 || b.NumPartitions != 3 || b.DefaultReplicationFactor != 2 {
		t.Errorf("node=%d partitions=%d rf=%d", b.NodeID, b.NumPartitions, b.DefaultReplicationFactor)
	}
	if !slices.Equal(b.LogDirs, []string{"/tmp/kafka-logs"}) || b.MetadataLogDir != "/tmp/kafka-logs" {
		t.Errorf("log dirs %q, metadata %q", b.LogDirs, b.MetadataLogDir)
	}
	want := []Listener{{Name: "PLAINTEXT", Host: "localhost", Port: 9092}}
	if !slices.Equal(b.Listeners, want) || !slices.Equal(b.AdvertisedListeners, want) {
		t.Errorf("listeners %v advertised %v", b.Listeners, b.AdvertisedListeners)
	}
}

// The embedded server.properties is the `make run` default.
func TestEmbeddedServerProperties(t *testing.T) {
	b, ignored, err := Parse(configs.ServerProperties, "server.properties", nil)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(ignored) != 0 {
		t.Errorf("ignored = %q, want none", ignored)
	}
	if b.OffsetsTopicReplicationFactor != 1 || b.TransactionStateLogReplicationFactor != 1 || b.TransactionStateLogMinIsr != 1 {
		t.Errorf("internal topic replication: offsets %d txn %d min isr %d", b.OffsetsTopicReplicationFactor,
			b.TransactionStateLogReplicationFactor, b.TransactionStateLogMinIsr)
	}
	if b.NodeID != 1 || !b.IsBroker() || !b.IsController() || b.NumPartitions != 1 {
		t.Errorf("node=%d roles=%v partitions=%d", b.NodeID, b.ProcessRoles, b.NumPartitions)
	}
	if b.MetricsListener != "http://localhost:9644" || !slices.Equal(b.LogDirs, []string{"./data/kafka-logs"}) {
		t.Errorf("metrics=%q dirs=%q", b.MetricsListener, b.LogDirs)
	}
	if l, ok := b.AdvertisedListener("PLAINTEXT"); !ok || l.Addr() != "localhost:9092" {
		t.Errorf("advertised PLAINTEXT = %v, %v", l, ok)
	}
}

func TestClusterConfigs(t *testing.T) {
	dirs := map[string]bool{}
	for n := int32(1); n <= 3; n++ {
		path := filepath.Join("..", "..", "configs", "cluster", "node-"+itoa(n)+".properties")
		b, ignored, err := Load(path, nil)
		if err != nil {
			t.Fatalf("Load %s: %v", path, err)
		}
		if len(ignored) != 0 {
			t.Errorf("%s: ignored %q", path, ignored)
		}
		if b.NodeID != n || len(b.ControllerQuorumVoters) != 3 {
			t.Errorf("%s: node %d, voters %v", path, b.NodeID, b.ControllerQuorumVoters)
		}
		l, ok := b.AdvertisedListener("PLAINTEXT")
		if wantPort := 9090 + 2*int(n); !ok || l.Port != wantPort {
			t.Errorf("%s: advertised %v, want port %d", path, l, wantPort)
		}
		c, ok := b.listener("CONTROLLER")
		if v := b.ControllerQuorumVoters[n-1]; !ok || v.ID != n || v.Port != c.Port {
			t.Errorf("%s: voter %v, controller listener %v", path, v, c)
		}
		dirs[b.LogDirs[0]] = true
	}
	if len(dirs) != 3 {
		t.Errorf("log dirs not distinct: %v", dirs)
	}
	if _, err := os.Stat(filepath.Join("..", "..", "configs", "server.properties")); err != nil {
		t.Error(err)
	}
}
