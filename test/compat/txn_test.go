package compat

import (
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// TestConfluentKafkaPythonTransactions runs python/transactions.py:
// init_transactions, a committed and an aborted transaction each with
// send_offsets_to_transaction, read_committed and read_uncommitted views
// of the output, and the group's offset after the abort.
func TestConfluentKafkaPythonTransactions(t *testing.T) {
	python := harness.RequirePythonModule(t, "confluent_kafka")
	props := maps.Clone(groupProps)
	props["transaction.state.log.replication.factor"] = "1"
	props["transaction.state.log.min.isr"] = "1"
	props["transaction.state.log.num.partitions"] = "3"
	b := harness.Start(t, props)
	b.CreateTopic("py-txn-in", 1, nil)
	b.CreateTopic("py-txn-out", 1, nil)
	script, err := filepath.Abs(filepath.Join("python", "transactions.py"))
	if err != nil {
		t.Fatal(err)
	}
	r := harness.Run(3*time.Minute, "", python, script, b.Addr, "py-txn-in", "py-txn-out", "py-txn-group")
	if r.Err != nil {
		t.Fatalf("%s %s: %s", python, script, r)
	}
	if !strings.Contains(r.Stdout, "OK:") {
		t.Fatalf("script did not report OK: %s", r)
	}
	t.Log(strings.TrimSpace(r.Stdout))
}
