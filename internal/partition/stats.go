package partition

// Read-only accessors for metrics and DescribeLogDirs; each reads state
// that is safe to read concurrently with appends.

// Dir is the partition's directory (<log.dir>/<topic>-<partition>).
func (p *Partition) Dir() string { return p.dir }

// Size is the total size in bytes of the partition's log segments.
func (p *Partition) Size() int64 { return p.log.Size() }

// NumSegments is the number of log segments, the active one included.
func (p *Partition) NumSegments() int { return p.log.NumSegments() }
