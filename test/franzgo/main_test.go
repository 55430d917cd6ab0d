package franzgo

import (
	"os"
	"testing"

	"github.com/samsa-io/samsa/test/internal/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
