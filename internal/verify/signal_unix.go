//go:build unix

package verify

import (
	"os"
	"syscall"
)

// canPause says whether a node can be paused (SIGSTOP) on this platform.
const canPause = true

func pauseProcess(p *os.Process) error     { return p.Signal(syscall.SIGSTOP) }
func resumeProcess(p *os.Process) error    { return p.Signal(syscall.SIGCONT) }
func terminateProcess(p *os.Process) error { return p.Signal(syscall.SIGTERM) }
