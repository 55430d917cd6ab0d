package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

// consumerPropsApplied are the consumer properties Samsa's console consumer
// applies (consumerOpts, groupPropertyOpts, clientConfig, startOffset);
// keys starting with consumerPropPrefixesApplied are the security settings.
// Any other --consumer-property is reported once, as Kafka's client warns
// about properties it does not use. key.deserializer and
// value.deserializer are listed because Kafka's tool overrides them too
// (it reads bytes; --key-deserializer and --value-deserializer format).
var consumerPropsApplied = map[string]bool{
	"bootstrap.servers": true, "client.id": true, "request.timeout.ms": true, "allow.auto.create.topics": true,
	"group.id": true, "auto.offset.reset": true, "isolation.level": true, "enable.auto.commit": true,
	"auto.commit.interval.ms": true, "fetch.max.bytes": true, "max.partition.fetch.bytes": true,
	"fetch.min.bytes": true, "fetch.max.wait.ms": true, "session.timeout.ms": true, "heartbeat.interval.ms": true,
	"group.protocol": true, "group.instance.id": true, "partition.assignment.strategy": true,
	"group.remote.assignor": true, "key.deserializer": true, "value.deserializer": true,
}

var consumerPropPrefixesApplied = []string{"ssl.", "sasl.", "security."}

// warnUnusedConsumerProps prints one WARN line naming the consumer
// properties the tool does not apply, so that a typo or a setting Samsa has
// no equivalent for is not silently ignored.
func warnUnusedConsumerProps(props map[string]string, stderr io.Writer) {
	var unused []string
	for k := range props {
		if consumerPropsApplied[k] || hasAnyPrefix(k, consumerPropPrefixesApplied) {
			continue
		}
		unused = append(unused, k)
	}
	if len(unused) == 0 {
		return
	}
	sort.Strings(unused)
	fmt.Fprintf(stderr, "WARN These configurations '[%s]' were supplied but are not used by Samsa's console-consumer.\n",
		strings.Join(unused, ", "))
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// assignors maps partition.assignment.strategy class names to balancers.
var assignors = map[string]func() kgo.GroupBalancer{
	"org.apache.kafka.clients.consumer.RangeAssignor":             kgo.RangeBalancer,
	"org.apache.kafka.clients.consumer.RoundRobinAssignor":        kgo.RoundRobinBalancer,
	"org.apache.kafka.clients.consumer.StickyAssignor":            kgo.StickyBalancer,
	"org.apache.kafka.clients.consumer.CooperativeStickyAssignor": kgo.CooperativeStickyBalancer,
}

// groupPropertyOpts applies the group properties of a Java consumer:
// group.protocol (classic, or consumer for KIP-848 groups with
// group.remote.assignor uniform or range), group.instance.id (static
// membership) and partition.assignment.strategy (classic groups).
func groupPropertyOpts(props map[string]string) ([]kgo.Opt, error) {
	var opts []kgo.Opt
	if id := strings.TrimSpace(props["group.instance.id"]); id != "" {
		opts = append(opts, kgo.InstanceID(id))
	}
	switch protocol := strings.ToLower(strings.TrimSpace(props["group.protocol"])); protocol {
	case "", "classic":
		if v, ok := props["partition.assignment.strategy"]; ok {
			var balancers []kgo.GroupBalancer
			for _, class := range splitList(v) {
				b, ok := assignors[class]
				if !ok {
					return nil, usageErrorf("invalid partition.assignment.strategy %q: Samsa's tool knows %s", class, strings.Join(assignorNames(), ", "))
				}
				balancers = append(balancers, b())
			}
			opts = append(opts, kgo.Balancers(balancers...))
		}
		if _, ok := props["group.remote.assignor"]; ok {
			return nil, usageErrorf("group.remote.assignor is only valid with group.protocol=consumer")
		}
	case "consumer":
		if _, ok := props["partition.assignment.strategy"]; ok {
			return nil, usageErrorf("partition.assignment.strategy cannot be set when group.protocol=consumer (use group.remote.assignor)")
		}
		balancer := kgo.StickyBalancer() // the broker's default assignor, uniform
		switch a := strings.ToLower(strings.TrimSpace(props["group.remote.assignor"])); a {
		case "", "uniform":
		case "range":
			balancer = kgo.RangeBalancer()
		default:
			return nil, usageErrorf("invalid group.remote.assignor %q: want uniform or range", a)
		}
		opts = append(opts, kgo.ServerSideBalancer(), kgo.Balancers(balancer))
	default:
		return nil, usageErrorf("invalid group.protocol %q: want classic or consumer", protocol)
	}
	return opts, nil
}

func assignorNames() []string {
	names := make([]string, 0, len(assignors))
	for n := range assignors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
