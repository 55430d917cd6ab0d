package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
)

// TestTxnSingleNodeSASLInterBroker runs a single node whose only listener,
// the inter-broker one, is SASL_PLAINTEXT: the transaction coordinator's
// markers reach the node's own listener authenticated with the broker's
// credentials (sasl.mechanism.inter.broker.protocol and the listener's
// JAAS config), so transactions commit and abort and a read_committed
// consumer sees every committed record and no aborted one. PLAIN takes the
// broker's username/password from the PLAIN JAAS config; SCRAM-SHA-256
// from the SCRAM one, with the broker's credential created through
// AlterUserScramCredentials first.
func TestTxnSingleNodeSASLInterBroker(t *testing.T) {
	const plainJAAS = `org.apache.kafka.common.security.plain.PlainLoginModule required ` +
		`username="broker" password="broker-secret" user_broker="broker-secret" user_app="app-secret";`
	t.Run("PLAIN", func(t *testing.T) {
		testTxnSASLInterBroker(t, "PLAIN", nil, "listener.name.sasl_plaintext.plain.sasl.jaas.config="+plainJAAS)
	})
	t.Run("SCRAM-SHA-256", func(t *testing.T) {
		// The JAAS config without the broker's PLAIN username: only the
		// SCRAM config names the inter-broker identity.
		testTxnSASLInterBroker(t, "SCRAM-SHA-256", func(t *testing.T, adm *kadm.Client) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{
				User: "broker", Mechanism: kadm.ScramSha256, Iterations: 4096, Password: "broker-secret",
			}})
			if err == nil {
				err = res.Error()
			}
			if err != nil {
				t.Fatalf("create the broker's SCRAM credential: %v", err)
			}
		},
			"listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_app=\"app-secret\";",
			`listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="broker-secret";`)
	})
}

func testTxnSASLInterBroker(t *testing.T, mech string, setup func(*testing.T, *kadm.Client), jaas ...string) {
	props := append([]string{
		"listeners=SASL_PLAINTEXT://127.0.0.1:0", "inter.broker.listener.name=SASL_PLAINTEXT",
		"sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256", "sasl.mechanism.inter.broker.protocol=" + mech,
	}, txnTestConfig...)
	s := startTestServer(t, t.TempDir(), append(props, jaas...)...)
	defer s.Close()
	addr := s.Addrs()[0].String()
	auth := kgo.SASL(plain.Auth{User: "app", Pass: "app-secret"}.AsMechanism())

	admCl, err := kgo.NewClient(kgo.SeedBrokers(addr), auth)
	if err != nil {
		t.Fatal(err)
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	if setup != nil {
		setup(t, adm)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := adm.CreateTopic(ctx, 2, 1, nil, "sasl-txn"); err != nil {
		t.Fatalf("create topic: %v", err)
	}

	p := txnProducer(t, addr, "tx-sasl-"+mech, "sasl-txn", auth, kgo.TransactionTimeout(20*time.Second))
	produceTxn(t, p, true, values("c", 10)...)
	produceTxn(t, p, false, values("a", 10)...)
	produceTxn(t, p, true, values("d", 5)...)

	cons, err := kgo.NewClient(kgo.SeedBrokers(addr), auth, kgo.ConsumeTopics("sasl-txn"),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	var got []string
	// The commits above returned, so every committed record is stable:
	// read until all 15 arrive (bounded by the context) and then check
	// that none is aborted.
	rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer rcancel()
	for len(got) < 15 && rctx.Err() == nil {
		fs := cons.PollFetches(rctx)
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	if len(got) != 15 {
		t.Fatalf("read_committed saw %d records, want 15: %v", len(got), got)
	}
	for _, v := range got {
		if strings.HasPrefix(v, "a") {
			t.Fatalf("read_committed saw aborted record %s", v)
		}
	}
}
