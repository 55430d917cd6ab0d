package config

import (
	"errors"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestDefault(t *testing.T) {
	b := Default()
	if err := b.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"NodeID", b.NodeID, int32(1)},
		{"ProcessRoles", b.ProcessRoles, []string{"broker", "controller"}},
		{"Listeners", b.Listeners, []Listener{{Name: "PLAINTEXT", Port: 9092}}},
		{"AdvertisedListeners", b.AdvertisedListeners, []Listener{{Name: "PLAINTEXT", Host: "localhost", Port: 9092}}},
		{"LogDirs", b.LogDirs, []string{"/tmp/kafka-logs"}},
		{"MetadataLogDir", b.MetadataLogDir, "/tmp/kafka-logs"},
		{"NumPartitions", b.NumPartitions, int32(1)},
		{"SocketRequestMaxBytes", b.SocketRequestMaxBytes, int32(104857600)},
		{"MessageMaxBytes", b.MessageMaxBytes, int32(1048588)},
		{"LogSegmentBytes", b.LogSegmentBytes, int64(1073741824)},
		{"LogRollMs", b.LogRollMs, int64(604800000)},
		{"LogRetentionMs", b.LogRetentionMs, int64(604800000)},
		{"LogRetentionBytes", b.LogRetentionBytes, int64(-1)},
		{"LogFlushIntervalMessages", b.LogFlushIntervalMessages, int64(math.MaxInt64)},
		{"LogFlushIntervalMs", b.LogFlushIntervalMs, int64(-1)},
		{"LogCleanupPolicy", b.LogCleanupPolicy, "delete"},
		{"CompressionType", b.CompressionType, "producer"},
		{"OffsetsTopicNumPartitions", b.OffsetsTopicNumPartitions, int32(50)},
		{"OffsetsTopicReplicationFactor", b.OffsetsTopicReplicationFactor, int16(3)},
		{"OffsetsRetentionMs", b.OffsetsRetentionMs, int64(604800000)},
		{"GroupMinSessionTimeoutMs", b.GroupMinSessionTimeoutMs, int64(6000)},
		{"GroupMaxSessionTimeoutMs", b.GroupMaxSessionTimeoutMs, int64(1800000)},
		{"TransactionStateLogNumPartitions", b.TransactionStateLogNumPartitions, int32(50)},
		{"TransactionStateLogReplicationFactor", b.TransactionStateLogReplicationFactor, int16(3)},
		{"TransactionStateLogMinIsr", b.TransactionStateLogMinIsr, int16(2)},
		{"TransactionMaxTimeoutMs", b.TransactionMaxTimeoutMs, int64(900000)},
		{"MetricsListener", b.MetricsListener, ""},
		{"IsBroker", b.IsBroker(), true},
		{"IsController", b.IsController(), true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// An empty file gives exactly Default.
func TestParseEmptyIsDefault(t *testing.T) {
	b, ignored, err := Parse(nil, "empty", nil)
	if err != nil || len(ignored) != 0 {
		t.Fatalf("Parse(empty) = %v, ignored %q", err, ignored)
	}
	b.origin, b.extra = nil, nil
	if want := Default(); !reflect.DeepEqual(b, want) {
		t.Errorf("Parse(empty) =\n%+v\nwant\n%+v", b, want)
	}
}

func mustParse(t *testing.T, props string, overrides ...string) *Broker {
	t.Helper()
	b, _, err := Parse([]byte(props), "test.properties", overrides)
	if err != nil {
		t.Fatalf("Parse(%q): %v", props, err)
	}
	return b
}

func TestOverridesWin(t *testing.T) {
	b := mustParse(t, "num.partitions=3\nlog.dirs=/a\n", "num.partitions=5", "log.dirs=/b,/c", "x.y=a=b")
	if b.NumPartitions != 5 || !slices.Equal(b.LogDirs, []string{"/b", "/c"}) {
		t.Errorf("partitions %d dirs %q", b.NumPartitions, b.LogDirs)
	}
	if b.Raw["num.partitions"] != "5" || b.Raw["x.y"] != "a=b" {
		t.Errorf("Raw = %v", b.Raw)
	}
	_, _, err := Parse(nil, "t", []string{"num.partitions=0"})
	if err == nil || !strings.Contains(err.Error(), `override: num.partitions: invalid value "0"`) {
		t.Errorf("bad override error = %v", err)
	}
	_, _, err = Parse(nil, "t", []string{"num.partitions"})
	if err == nil || !strings.Contains(err.Error(), "want key=value") {
		t.Errorf("malformed override error = %v", err)
	}
}

func TestAliasesAndUnits(t *testing.T) {
	tests := []struct {
		props       string
		node        int32
		roll, retMs int64
	}{
		{"broker.id=7", 7, 168 * hourMs, 168 * hourMs},
		{"node.id=7\nbroker.id=7", 7, 168 * hourMs, 168 * hourMs},
		{"log.retention.hours=1\nlog.roll.hours=2", 1, 2 * hourMs, hourMs},
		{"log.retention.hours=1\nlog.retention.minutes=2", 1, 168 * hourMs, 2 * minuteMs},
		{"log.retention.hours=1\nlog.retention.minutes=2\nlog.retention.ms=5\nlog.roll.ms=9\nlog.roll.hours=1", 1, 9, 5},
		{"log.retention.hours=-1", 1, 168 * hourMs, -1},
		{"log.retention.ms=-1", 1, 168 * hourMs, -1},
	}
	for _, tt := range tests {
		b := mustParse(t, tt.props)
		if b.NodeID != tt.node || b.LogRollMs != tt.roll || b.LogRetentionMs != tt.retMs {
			t.Errorf("%q: node %d roll %d retention %d, want %d %d %d",
				tt.props, b.NodeID, b.LogRollMs, b.LogRetentionMs, tt.node, tt.roll, tt.retMs)
		}
	}
	b := mustParse(t, "log.dir=/x\nmetadata.log.dir=/meta")
	if !slices.Equal(b.LogDirs, []string{"/x"}) || b.MetadataLogDir != "/meta" {
		t.Errorf("log.dir: %q %q", b.LogDirs, b.MetadataLogDir)
	}
	if b = mustParse(t, "log.dir=/x\nlog.dirs=/y, /z"); !slices.Equal(b.LogDirs, []string{"/y", "/z"}) || b.MetadataLogDir != "/y" {
		t.Errorf("log.dirs over log.dir: %q %q", b.LogDirs, b.MetadataLogDir)
	}
}

func TestListenersAndVoters(t *testing.T) {
	b := mustParse(t, "listeners=plaintext://:9092,CONTROLLER://[::1]:9093,INTERNAL://0.0.0.0:9094\n"+
		"listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,INTERNAL:SSL\n"+
		"listener.name.internal.ssl.keystore.location=/etc/samsa/internal.pem\n"+
		"advertised.listeners=PLAINTEXT://example.com:19092,INTERNAL://10.0.0.1:9094\n"+
		"controller.listener.names=controller\ncontroller.quorum.voters=1@[::1]:9093, 2@h2:9093\n")
	want := []Listener{{"PLAINTEXT", "", 9092}, {"CONTROLLER", "::1", 9093}, {"INTERNAL", "0.0.0.0", 9094}}
	if !slices.Equal(b.Listeners, want) {
		t.Errorf("Listeners = %v", b.Listeners)
	}
	if l, ok := b.AdvertisedListener("plaintext"); !ok || l.Addr() != "example.com:19092" {
		t.Errorf("AdvertisedListener(plaintext) = %v %v", l, ok)
	}
	if _, ok := b.AdvertisedListener("CONTROLLER"); ok {
		t.Error("CONTROLLER advertised although advertised.listeners omits it")
	}
	voters := []Voter{{1, "::1", 9093}, {2, "h2", 9093}}
	if !slices.Equal(b.ControllerQuorumVoters, voters) || b.ControllerQuorumVoters[0].Addr() != "[::1]:9093" {
		t.Errorf("voters = %v", b.ControllerQuorumVoters)
	}
	if !slices.Equal(b.ControllerListenerNames, []string{"CONTROLLER"}) {
		t.Errorf("controller names = %q", b.ControllerListenerNames)
	}
	b = mustParse(t, "listeners=PLAINTEXT://:9092\nprocess.roles=broker, broker")
	if b.AdvertisedListeners[0].Host != "localhost" || !slices.Equal(b.ProcessRoles, []string{"broker"}) || b.IsController() {
		t.Errorf("advertised %v roles %q", b.AdvertisedListeners, b.ProcessRoles)
	}
}

// Each invalid value is reported with its key, its value and what is allowed.
func TestInvalidValues(t *testing.T) {
	quorum := "listeners=PLAINTEXT://:9092,CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\n"
	tests := []struct{ props, key, value string }{
		{"node.id=abc", "node.id", "abc"},
		{"node.id=-1", "node.id", "-1"},
		{"node.id=2\nbroker.id=1", "node.id", "2"},
		{"broker.id=99999999999", "broker.id", "99999999999"},
		{"process.roles=worker", "process.roles", "worker"},
		{quorum + "process.roles=controller\ncontroller.quorum.voters=1@h:9093", "listeners", "PLAINTEXT://:9092,CONTROLLER://:9093"},
		{"listeners=CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\nprocess.roles=controller", "process.roles", "controller"},
		{"listeners=localhost:9092", "listeners", "localhost:9092"},
		{"listeners=PLAINTEXT://localhost:99999", "listeners", "PLAINTEXT://localhost:99999"},
		{"listeners=", "listeners", ""},
		{"listeners=PLAINTEXT://:9092,PLAINTEXT://:9093", "listeners", "PLAINTEXT://:9092,PLAINTEXT://:9093"},
		{"listeners=FOO://:9092\ninter.broker.listener.name=FOO", "listener.security.protocol.map", ""},
		{"listener.security.protocol.map=garbage", "listener.security.protocol.map", "garbage"},
		{"listeners=PLAINTEXT://0.0.0.0:9092", "advertised.listeners", "PLAINTEXT://0.0.0.0:9092"},
		{"advertised.listeners=EXTERNAL://h:1", "advertised.listeners", "EXTERNAL://h:1"},
		{"inter.broker.listener.name=INTERNAL", "inter.broker.listener.name", "INTERNAL"},
		{"controller.quorum.voters=1@localhost", "controller.quorum.voters", "1@localhost"},
		{"controller.quorum.voters=x@localhost:9093", "controller.quorum.voters", "x@localhost:9093"},
		{quorum + "controller.quorum.voters=2@localhost:9093", "controller.quorum.voters", "2@localhost:9093"},
		{quorum + "controller.quorum.voters=1@a:1,1@b:1", "controller.quorum.voters", "1@a:1,1@b:1"},
		{"controller.quorum.voters=1@localhost:9093", "controller.listener.names", ""},
		{"controller.listener.names=CONTROLLER", "controller.listener.names", "CONTROLLER"},
		{"num.partitions=0", "num.partitions", "0"},
		{"num.partitions=x", "num.partitions", "x"},
		{"default.replication.factor=0", "default.replication.factor", "0"},
		{"default.replication.factor=40000", "default.replication.factor", "40000"},
		{"min.insync.replicas=0", "min.insync.replicas", "0"},
		{"auto.create.topics.enable=yes", "auto.create.topics.enable", "yes"},
		{"delete.topic.enable=1", "delete.topic.enable", "1"},
		{"socket.request.max.bytes=0", "socket.request.max.bytes", "0"},
		{"message.max.bytes=-1", "message.max.bytes", "-1"},
		{"num.network.threads=0", "num.network.threads", "0"},
		{"num.io.threads=0", "num.io.threads", "0"},
		{"sasl.server.max.receive.size=0", "sasl.server.max.receive.size", "0"},
		{"connections.max.idle.ms=0", "connections.max.idle.ms", "0"},
		{"connection.failed.authentication.delay.ms=-1", "connection.failed.authentication.delay.ms", "-1"},
		{"connections.max.idle.ms=100\nconnection.failed.authentication.delay.ms=100", "connection.failed.authentication.delay.ms", "100"},
		{"max.connections.per.ip=-1", "max.connections.per.ip", "-1"},
		{"max.connections.per.ip=0", "max.connections.per.ip", "0"},
		{"max.connections.per.ip.overrides=host", "max.connections.per.ip.overrides", "host"},
		{"max.connections.per.ip.overrides=host:x", "max.connections.per.ip.overrides", "host:x"},
		{"max.connections.per.ip.overrides=host:-1", "max.connections.per.ip.overrides", "host:-1"},
		{"max.connections=-1", "max.connections", "-1"},
		{"listener.name.plaintext.max.connections=-1", "listener.name.plaintext.max.connections", "-1"},
		{"listener.name.nosuch.max.connections=5", "listener.name.nosuch.max.connections", "5"},
		{"log.segment.bytes=13", "log.segment.bytes", "13"},
		{"log.segment.bytes=3000000000", "log.segment.bytes", "3000000000"},
		{"log.roll.hours=0", "log.roll.hours", "0"},
		{"log.roll.ms=0", "log.roll.ms", "0"},
		{"log.retention.hours=-2", "log.retention.hours", "-2"},
		{"log.retention.ms=-5", "log.retention.ms", "-5"},
		{"log.retention.minutes=abc", "log.retention.minutes", "abc"},
		{"log.retention.hours=9999999999", "log.retention.hours", "9999999999"},
		{"log.retention.bytes=-2", "log.retention.bytes", "-2"},
		{"log.retention.check.interval.ms=0", "log.retention.check.interval.ms", "0"},
		{"log.flush.interval.messages=0", "log.flush.interval.messages", "0"},
		{"log.flush.interval.ms=-2", "log.flush.interval.ms", "-2"},
		{"log.index.interval.bytes=-1", "log.index.interval.bytes", "-1"},
		{"log.cleanup.policy=archive", "log.cleanup.policy", "archive"},
		{"log.cleanup.policy=", "log.cleanup.policy", ""},
		{"compression.type=brotli", "compression.type", "brotli"},
		{"log.message.timestamp.type=Now", "log.message.timestamp.type", "Now"},
		{"log.segment.delete.delay.ms=-1", "log.segment.delete.delay.ms", "-1"},
		{"offsets.topic.num.partitions=0", "offsets.topic.num.partitions", "0"},
		{"offsets.topic.replication.factor=0", "offsets.topic.replication.factor", "0"},
		{"group.initial.rebalance.delay.ms=-1", "group.initial.rebalance.delay.ms", "-1"},
		{"offsets.retention.minutes=0", "offsets.retention.minutes", "0"},
		{"group.max.session.timeout.ms=100", "group.max.session.timeout.ms", "100"},
		{"transaction.state.log.replication.factor=0", "transaction.state.log.replication.factor", "0"},
		{"transaction.state.log.min.isr=0", "transaction.state.log.min.isr", "0"},
		{"transaction.max.timeout.ms=0", "transaction.max.timeout.ms", "0"},
		{"replica.lag.time.max.ms=0", "replica.lag.time.max.ms", "0"},
		{"broker.session.timeout.ms=0", "broker.session.timeout.ms", "0"},
		{"broker.heartbeat.interval.ms=10000", "broker.heartbeat.interval.ms", "10000"},
		{"metrics.listener=localhost:9644", "metrics.listener", "localhost:9644"},
		{"metrics.listener=https://localhost:9644", "metrics.listener", "https://localhost:9644"},
		{"cluster.id=a b", "cluster.id", "a b"},
		{"log.dirs=", "log.dirs", ""},
		{"log.cleaner.delete.retention.ms=-1", "log.cleaner.delete.retention.ms", "-1"},
		{"log.preallocate=sure", "log.preallocate", "sure"},
	}
	for _, tt := range tests {
		_, _, err := Parse([]byte(tt.props), "t.properties", nil)
		if err == nil {
			t.Errorf("%q: no error", tt.props)
			continue
		}
		want := tt.key + ": invalid value " + strconv.Quote(tt.value) + ": "
		if !strings.Contains(err.Error(), want) && !(tt.value == "" && strings.Contains(err.Error(), tt.key+": invalid value")) {
			t.Errorf("%q: error %q does not contain %q", tt.props, err, want)
		}
		if !errors.Is(err, ErrInvalidConfigValue) {
			t.Errorf("%q: error is not ErrInvalidConfigValue: %v", tt.props, err)
		}
		if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 1 {
			t.Errorf("%q: %d errors, want 1: %v", tt.props, n, err)
		}
	}
}

func TestConnectionBounds(t *testing.T) {
	b, ignored, err := Parse([]byte(`max.connections.per.ip=0
max.connections.per.ip.overrides=127.0.0.1:5, ::1:6 ,hostName:100
max.connections=1000
listener.name.plaintext.max.connections=10
sasl.server.max.receive.size=4096
connections.max.idle.ms=2000
connection.failed.authentication.delay.ms=50
`), "t", nil)
	if err != nil || len(ignored) != 0 {
		t.Fatalf("Parse = %v, ignored %q", err, ignored)
	}
	want := map[string]int32{"127.0.0.1": 5, "::1": 6, "hostName": 100}
	if !maps.Equal(b.MaxConnectionsPerIPOverrides, want) {
		t.Errorf("overrides = %v, want %v", b.MaxConnectionsPerIPOverrides, want)
	}
	if b.MaxConnectionsPerIP != 0 || b.MaxConnections != 1000 || b.ListenerMaxConnections["PLAINTEXT"] != 10 ||
		b.SaslServerMaxReceiveSize != 4096 || b.ConnectionsMaxIdleMs != 2000 || b.ConnectionFailedAuthenticationDelayMs != 50 {
		t.Errorf("parsed %+v", b)
	}
	d := Default()
	if d.SaslServerMaxReceiveSize != 524288 || d.ConnectionsMaxIdleMs != 600000 || d.ConnectionFailedAuthenticationDelayMs != 100 ||
		d.MaxConnectionsPerIP != math.MaxInt32 || d.MaxConnections != math.MaxInt32 {
		t.Errorf("defaults differ from Kafka's: %+v", d)
	}
}

func TestValidateGathersEveryProblem(t *testing.T) {
	b := Default()
	b.NumPartitions = 0
	b.CompressionType = "brotli"
	b.LogSegmentBytes = 1
	b.Listeners = nil
	err := b.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, key := range []string{"num.partitions", "compression.type", "log.segment.bytes", "listeners", "advertised.listeners"} {
		if !strings.Contains(err.Error(), key+": invalid value") {
			t.Errorf("error does not name %s:\n%v", key, err)
		}
	}
	_, _, err = Parse([]byte("num.partitions=0\nnode.id=x\nlisteners=bad\nlog.cleanup.policy=x\n"), "f", nil)
	if got := len(err.(interface{ Unwrap() []error }).Unwrap()); got != 4 {
		t.Errorf("Parse gave %d errors, want 4:\n%v", got, err)
	}
}

func TestLoadNamesFileAndLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "server.properties")
	data := "# comment\nnode.id=1\n\nnum.partitions=-3\nzookeeper.connect=zk:2181\nmystery.key=1\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	_, ignored, err := Load(path, nil)
	want := path + `:4: num.partitions: invalid value "-3": must be at least 1`
	if err == nil || err.Error() != want {
		t.Errorf("Load error = %v, want %s", err, want)
	}
	if !slices.Equal(ignored, []string{"mystery.key", "zookeeper.connect"}) {
		t.Errorf("ignored = %q", ignored)
	}
	if _, _, err := Load(filepath.Join(t.TempDir(), "missing"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file error = %v", err)
	}
	if err := os.WriteFile(path, []byte("a=1\nb=\\uXYZW\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(path, nil); err == nil || !strings.HasPrefix(err.Error(), path+": line 2:") {
		t.Errorf("syntax error = %v", err)
	}
}

// FuzzParse checks that no file makes Parse panic, and that a configuration
// Parse accepts also passes Validate.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"broker.id=1\nlisteners=PLAINTEXT://localhost:9092\nzookeeper.connect=x",
		"listeners=PLAINTEXT://:9092,CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\ncontroller.quorum.voters=1@h:9093",
		"log.retention.hours=-1\nlog.roll.ms=5\nlog.cleanup.policy=compact,delete",
		"advertised.listeners=X://[::1]:1\nprocess.roles=controller",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, _, err := Parse(data, "fuzz", nil)
		if err != nil {
			return
		}
		if err := b.Validate(); err != nil {
			t.Fatalf("Parse accepted a config that Validate rejects: %v", err)
		}
		if _, err := b.ResolveTopicConfig(nil); err != nil {
			t.Fatalf("broker defaults do not resolve: %v", err)
		}
		for _, d := range TopicConfigDefs() {
			if err := ValidateTopicConfig(d.Name, b.TopicDefault(d.Name)); err != nil {
				t.Fatalf("broker default fails topic validation: %v", err)
			}
		}
	})
}

func TestListenerSecurityOverrides(t *testing.T) {
	b, _, err := Parse([]byte("listeners=SASL_SSL://:9093,PLAINTEXT://:9092\n"+
		"ssl.keystore.location=/global.pem\n"+
		"listener.name.sasl_ssl.ssl.keystore.location=/listener.pem\n"+
		"listener.name.sasl_ssl.ssl.client.auth=requested\n"+
		"ssl.truststore.location=/ca.pem\n"+
		"sasl.enabled.mechanisms=PLAIN,scram-sha-512\n"+
		"listener.name.sasl_ssl.plain.sasl.jaas.config=x required user_a=\"b\";\n"+
		"connections.max.reauth.ms=60000\n"), "t", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := b.ListenerSecurity("SASL_SSL")
	if !s.TLS() || !s.SASL() || s.SSL.KeystoreLocation != "/listener.pem" || s.SSL.ClientAuth != "requested" ||
		s.SSL.TruststoreLocation != "/ca.pem" || s.MaxReauthMs != 60000 ||
		len(s.SASLMechanisms) != 2 || s.SASLMechanisms[1] != "SCRAM-SHA-512" || s.JAAS["PLAIN"] == "" {
		t.Fatalf("resolved %+v", s)
	}
	if p := b.ListenerSecurity("PLAINTEXT"); p.TLS() || p.SASL() {
		t.Fatalf("PLAINTEXT resolved as %+v", p)
	}
	_, _, err = Parse([]byte("listeners=SSL://:9093\nssl.keystore.type=JKS\nssl.keystore.location=/k.jks\n"), "t", nil)
	if err == nil || !strings.Contains(err.Error(), "ssl.keystore.type") {
		t.Fatalf("JKS accepted: %v", err)
	}
	_, _, err = Parse([]byte("listeners=SASL_SSL://:9093\nssl.keystore.location=/k.pem\nsasl.enabled.mechanisms=GSSAPI\n"), "t", nil)
	if err == nil || !strings.Contains(err.Error(), "GSSAPI") {
		t.Fatalf("GSSAPI accepted: %v", err)
	}
}
