package harness

import (
	"fmt"
	"maps"
	"path/filepath"
	"strconv"
	"testing"
)

// StartKafkaStatic is StartKafka with a static controller quorum: the node
// lists itself in controller.quorum.voters and its storage is formatted
// without --standalone, so the cluster runs kraft.version 0 as Samsa's
// always does. Its voters then have no directory ids and take their
// endpoints from controller.quorum.voters.
func StartKafkaStatic(t testing.TB, extra map[string]string) *Kafka {
	t.Helper()
	port, cport := FreePort(t), FreePort(t)
	props := kafkaNodeProps(t, 1, port, cport)
	props["controller.quorum.voters"] = fmt.Sprintf("1@127.0.0.1:%d", cport)
	maps.Copy(props, SingleNodeProps())
	maps.Copy(props, extra)
	k := newKafka(t, props)
	k.format(KafkaClusterID(t))
	k.spawn()
	k.mustBeReady()
	return k
}

// StartStatic starts a single samsa node configured as StartKafkaStatic's
// Kafka node: combined roles, a CONTROLLER listener and itself as the one
// entry of controller.quorum.voters, plus SingleNodeProps and extra.
func StartStatic(t testing.TB, extra map[string]string) *Broker {
	t.Helper()
	port, cport := FreePort(t), FreePort(t)
	props := map[string]string{
		"node.id":                        "1",
		"process.roles":                  "broker,controller",
		"listeners":                      fmt.Sprintf("PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d", port, cport),
		"controller.listener.names":      "CONTROLLER",
		"inter.broker.listener.name":     "PLAINTEXT",
		"listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
		"controller.quorum.voters":       "1@127.0.0.1:" + strconv.Itoa(cport),
		"log.dirs":                       filepath.Join(t.TempDir(), "data"),
	}
	maps.Copy(props, SingleNodeProps())
	maps.Copy(props, extra)
	return StartExact(t, props)
}

// ForEachStaticTarget is ForEachTarget with StartKafkaStatic and
// StartStatic: both targets a single node with a static voter set of
// itself, for checks that show the quorum's configuration (a --standalone
// Kafka's dynamic quorum reports voter directory ids that a static one,
// and Samsa, do not have).
func ForEachStaticTarget(t *testing.T, kafkaProps, samsaProps map[string]string, check func(t *testing.T, tg Target)) {
	t.Helper()
	runTarget(t, "kafka", func(t *testing.T) {
		k := StartKafkaStatic(t, kafkaProps)
		check(t, Target{Name: "kafka", Bootstrap: k.Addr, Nodes: 1})
	})
	runTarget(t, "samsa", func(t *testing.T) {
		b := StartStatic(t, samsaProps)
		check(t, Target{Name: "samsa", Bootstrap: b.Addr, Nodes: 1})
	})
}
