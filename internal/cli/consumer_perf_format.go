package cli

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// consumerPerfHeader is the header line of kafka-consumer-perf-test.
func consumerPerfHeader(detailed bool) string {
	const fetchFields = ", rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
	if detailed {
		return "time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec" + fetchFields
	}
	return "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec" + fetchFields
}

// consumerPerfLine is the result line: totals over the whole run, and fetch
// rates over the run less the time spent joining the group.
func consumerPerfLine(layout string, start, end time.Time, bytes, count int64, rebalance time.Duration) string {
	elapsed := end.Sub(start)
	fetch := elapsed - rebalance
	mb := float64(bytes) / (1 << 20)
	return fmt.Sprintf("%s, %s, %.4f, %.4f, %d, %.4f, %d, %d, %.4f, %.4f",
		formatJavaTime(start, layout), formatJavaTime(end, layout), mb, mb/elapsed.Seconds(), count, float64(count)/elapsed.Seconds(),
		rebalance.Milliseconds(), fetch.Milliseconds(), mb/fetch.Seconds(), float64(count)/fetch.Seconds())
}

// progress is a snapshot for --show-detailed-stats.
type progress struct {
	at           time.Time
	count, bytes int64
	rebalance    time.Duration
}

// consumerPerfProgress is one --show-detailed-stats line: cumulative MB and
// messages, and rates over the interval since the previous line.
func consumerPerfProgress(layout string, prev, cur progress) string {
	secs := cur.at.Sub(prev.at).Seconds()
	mb := float64(cur.bytes) / (1 << 20)
	intervalMB := float64(cur.bytes-prev.bytes) / (1 << 20)
	intervalMsgs := float64(cur.count - prev.count)
	rebalance := cur.rebalance - prev.rebalance
	fetchSecs := secs - rebalance.Seconds()
	return fmt.Sprintf("%s, %d, %.4f, %.4f, %d, %.4f, %d, %d, %.4f, %.4f",
		formatJavaTime(cur.at, layout), 0, mb, intervalMB/secs, cur.count, intervalMsgs/secs,
		rebalance.Milliseconds(), int64(fetchSecs*1000), intervalMB/fetchSecs, intervalMsgs/fetchSecs)
}

// rebalanceTimer measures the time from start until the group first assigns
// partitions (rebalance.time.ms); it stays 0 without a group. assigned runs
// on a kgo goroutine, hence the mutex.
type rebalanceTimer struct {
	mu    sync.Mutex
	start time.Time
	took  time.Duration
}

func (r *rebalanceTimer) begin(t time.Time) {
	r.mu.Lock()
	r.start = t
	r.mu.Unlock()
}

func (r *rebalanceTimer) assigned(_ context.Context, _ *kgo.Client, _ map[string][]int32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.took == 0 {
		r.took = time.Since(r.start)
	}
}

func (r *rebalanceTimer) elapsed() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.took
}
