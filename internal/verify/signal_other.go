//go:build !unix

package verify

import (
	"errors"
	"os"
	"syscall"
)

// canPause says whether a node can be paused on this platform: not without
// unix signals, where a node can only be killed.
const canPause = false

func pauseProcess(*os.Process) error       { return errors.ErrUnsupported }
func resumeProcess(*os.Process) error      { return errors.ErrUnsupported }
func terminateProcess(p *os.Process) error { return p.Kill() }
func nodeProcAttr() *syscall.SysProcAttr   { return nil }
