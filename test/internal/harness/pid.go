package harness

// PID returns the process id of the running samsa server, or 0 when it is
// not running: for reading its resource use from /proc (test/bench).
func (b *Broker) PID() int {
	if !b.Running() {
		return 0
	}
	return b.proc.cmd.Process.Pid
}

// PID returns the process id of the reference node's JVM, or 0 when it is
// not running.
func (k *Kafka) PID() int {
	if !k.Running() {
		return 0
	}
	return k.proc.cmd.Process.Pid
}
