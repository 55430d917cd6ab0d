//go:build unix

package listeners

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// checkDescriptorHeadroom fails when fewer than minFreeDescriptors file
// descriptors are left under RLIMIT_NOFILE once the node has opened its
// logs. Serving then would bind ports whose every Accept fails with
// EMFILE: a broker that looks up but answers nothing. Go raises the soft
// limit to the hard limit at start (since Go 1.19), so the limit seen
// here is the hard one unless something lowered both.
func checkDescriptorHeadroom() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return nil // cannot tell: do not refuse to start
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
		return fmt.Errorf("%w: none left to list open files (limit %d); raise it (ulimit -n)", errTooFewDescriptors, lim.Cur)
	}
	if err != nil {
		return nil // no /proc (not Linux): cannot count
	}
	inUse := uint64(len(entries))
	if lim.Cur < inUse+minFreeDescriptors {
		return fmt.Errorf("%w: %d of the limit of %d (RLIMIT_NOFILE) are in use after opening the logs, %d needed free to serve; raise it (ulimit -n, LimitNOFILE= under systemd)",
			errTooFewDescriptors, inUse, lim.Cur, minFreeDescriptors)
	}
	return nil
}
