package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/samsa-io/samsa/internal/security/certtest"
)

// TestClusterOverTLS runs three nodes whose client/inter-broker listener
// (SSL) and controller listener (Raft and broker-to-controller requests,
// CONTROLLER:SSL) both require mutual TLS: the cluster forms, a topic with
// RF=3 replicates, and after the leader stops the others take over with
// every acknowledged record.
func TestClusterOverTLS(t *testing.T) {
	testSecureCluster(t, "SSL", []string{"ssl.client.auth=required"}, nil)
}

// TestClusterOverSASLSSL is the same with SASL_SSL (PLAIN) on both the
// inter-broker and the controller listener: replica fetchers and the
// controller link authenticate with the JAAS username/password, Raft
// runs over the controller listener's TLS.
func TestClusterOverSASLSSL(t *testing.T) {
	testSecureCluster(t, "SASL_SSL", []string{
		"sasl.enabled.mechanisms=PLAIN", "sasl.mechanism.inter.broker.protocol=PLAIN",
		`sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="broker-secret" user_broker="broker-secret" user_app="app-secret";`,
	}, kgo.SASL(plain.Auth{User: "app", Pass: "app-secret"}.AsMechanism()))
}

func testSecureCluster(t *testing.T, proto string, extra []string, clientOpt kgo.Opt) {
	ca := certtest.NewCA(t, "cluster-ca")
	dir := t.TempDir()
	node := certtest.WriteFiles(t, dir, "node", ca, ca.Issue(t, pkix.Name{CommonName: "broker"}, "localhost", "127.0.0.1"))
	client := certtest.WriteFiles(t, dir, "client", ca, ca.Issue(t, pkix.Name{CommonName: "client"}))

	ports := freePorts(t, 6)
	var nodes [3]nodeLayout
	for i := range nodes {
		addr, ctrl := fmt.Sprintf("127.0.0.1:%d", ports[i]), fmt.Sprintf("127.0.0.1:%d", ports[3+i])
		nodes[i] = nodeLayout{client: addr, ctrl: ctrl,
			listeners: fmt.Sprintf("%s://%s,CONTROLLER://%s", proto, addr, ctrl),
			props: append([]string{"inter.broker.listener.name=" + proto,
				"listener.security.protocol.map=CONTROLLER:" + proto + "," + proto + ":" + proto,
				"ssl.keystore.location=" + node.Keystore, "ssl.truststore.location=" + node.CA,
			}, extra...)}
	}
	tc := startNodes(t, testLogger(), nodes, nil)

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.CertPEM)
	cert, err := tls.LoadX509KeyPair(client.Cert, client.Key)
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg := &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}
	opts := func(o ...kgo.Opt) []kgo.Opt {
		o = append(o, kgo.SeedBrokers(tc.liveAddrs()...), kgo.DialTLSConfig(tlsCfg.Clone()))
		if clientOpt != nil {
			o = append(o, clientOpt)
		}
		return o
	}
	newClient := func() *kgo.Client {
		cl, err := kgo.NewClient(opts(kgo.DefaultProduceTopic("tls-topic"), kgo.RequiredAcks(kgo.AllISRAcks()),
			kgo.RetryTimeout(30*time.Second), kgo.RecordDeliveryTimeout(60*time.Second))...)
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	cl := newClient()
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 3, nil, "tls-topic"); err != nil {
		t.Fatal(err)
	}
	tc.eventually("ISR of 3", func() bool {
		tp, ok := tc.running().ctrl.Image().Topic("tls-topic")
		return ok && len(tp.Partitions) == 1 && len(tp.Partitions[0].ISR) == 3
	})
	produce := func(cl *kgo.Client, from, n int) {
		for i := from; i < from+n; i++ {
			if err := cl.ProduceSync(ctx, &kgo.Record{Value: fmt.Appendf(nil, "r%d", i)}).FirstErr(); err != nil {
				t.Fatalf("produce %d: %v", i, err)
			}
		}
	}
	produce(cl, 0, 50)
	tp, _ := tc.running().ctrl.Image().Topic("tls-topic")
	leader := tp.Partitions[0].Leader
	tc.stop(leader, false)
	cl.Close()
	cl2 := newClient()
	defer cl2.Close()
	produce(cl2, 50, 50) // needs a new leader elected and the ISR (min 2) over TLS
	tc.eventually("a new leader", func() bool {
		tp, ok := tc.running().ctrl.Image().Topic("tls-topic")
		return ok && tp.Partitions[0].Leader != leader && tp.Partitions[0].Leader >= 0
	})
	cons, err := kgo.NewClient(opts(kgo.ConsumeTopics("tls-topic"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	seen := map[string]bool{}
	for len(seen) < 100 && ctx.Err() == nil {
		fs := cons.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) { seen[string(r.Value)] = true })
	}
	if len(seen) != 100 {
		t.Fatalf("consumed %d of 100 acknowledged records after failover", len(seen))
	}
}
