package bench

import (
	"flag"
	"os"
	"testing"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// TestMain builds the samsa binary and the test/java module only when a
// benchmark is asked for: `make test` runs this package's unit tests
// alone, which need neither.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run())
	}
	os.Exit(harness.MainJava(m))
}
