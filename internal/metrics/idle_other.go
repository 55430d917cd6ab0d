//go:build !unix

package metrics

import "time"

// processCPUTime is not measured on this platform: the idle ratios are
// left out of /metrics rather than reported wrong.
func processCPUTime() (time.Duration, bool) { return 0, false }
