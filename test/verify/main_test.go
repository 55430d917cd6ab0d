// Package verify runs "samsa verify" end to end: a 3-node cluster it starts
// itself under kill -9 and SIGSTOP faults must show no anomaly, and the
// test-only planted lost write must be caught through the whole pipeline.
package verify

import (
	"os"
	"testing"

	"github.com/samsa-io/samsa/test/internal/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
