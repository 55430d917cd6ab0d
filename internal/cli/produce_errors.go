package cli

import (
	"fmt"
	"regexp"
	"strconv"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// producePartitionCauses remembers the last error the client met for each
// topic partition it produces to. franz-go fails a record that ran out of
// delivery.timeout.ms while retrying with a bare "records have timed out",
// dropping the broker's answer (NOT_ENOUGH_REPLICAS, NOT_LEADER...) that
// kept it from being delivered; Kafka's own timeout message names the
// partition, and an operator needs the cause. The client has no hook for
// produce errors but logs them: failed attempts at Info with topic,
// partition and err key-values, retried ones only inside its Debug
// "produced" summary ("topic[0{retrying@-1,1(ERR: text)}, ...]"), which
// retriedProduce parses; test/e2e's operator tools test fails if that
// format drifts. It is safe for concurrent use: the client logs from its
// own goroutines while promises read.
type producePartitionCauses struct {
	mu   sync.Mutex
	last map[producePartitionKey]string
}

type producePartitionKey struct {
	topic     string
	partition int32
}

func newProducePartitionCauses() *producePartitionCauses {
	return &producePartitionCauses{last: map[producePartitionKey]string{}}
}

// Level asks for the Debug lines: retried produce errors are logged only there.
func (p *producePartitionCauses) Level() kgo.LogLevel { return kgo.LogLevelDebug }

// Log keeps the error of a line that names a topic, partition and err, and
// the retried errors of a "produced" summary.
func (p *producePartitionCauses) Log(_ kgo.LogLevel, msg string, keyvals ...any) {
	var key producePartitionKey
	var err error
	var haveTopic, havePartition bool
	var summary string
	for i := 0; i+1 < len(keyvals); i += 2 {
		switch keyvals[i] {
		case "topic":
			key.topic, haveTopic = keyvals[i+1].(string)
		case "partition":
			key.partition, havePartition = keyvals[i+1].(int32)
		case "err":
			err, _ = keyvals[i+1].(error)
		case "to":
			summary, _ = keyvals[i+1].(string)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if haveTopic && havePartition && err != nil {
		p.last[key] = err.Error()
	}
	if msg == "produced" {
		for k, cause := range retriedProduce(summary) {
			p.last[k] = cause
		}
	}
}

// retriedTopic and retriedPartition match franz-go's produce summary: topic
// names cannot hold '[' and errors end at ")}".
var (
	retriedTopic     = regexp.MustCompile(`([\w.-]+)\[([^\]]*)\]`)
	retriedPartition = regexp.MustCompile(`(\d+)\{retrying@-?\d+,\d+\((.*?)\)\}`)
)

// retriedProduce returns the error of each partition a produce summary
// says is being retried.
func retriedProduce(summary string) map[producePartitionKey]string {
	out := map[producePartitionKey]string{}
	for _, t := range retriedTopic.FindAllStringSubmatch(summary, -1) {
		for _, m := range retriedPartition.FindAllStringSubmatch(t[2], -1) {
			n, err := strconv.ParseInt(m[1], 10, 32)
			if err == nil {
				out[producePartitionKey{t[1], int32(n)}] = m[2]
			}
		}
	}
	return out
}

// explain adds to a delivery timeout the last error logged for the record's
// partition, if the client's own error does not carry one.
func (p *producePartitionCauses) explain(r *kgo.Record, err error) error {
	// Only the bare sentinel lacks a cause; a wrapped one already has it.
	if err != kgo.ErrRecordTimeout {
		return err
	}
	p.mu.Lock()
	last := p.last[producePartitionKey{r.Topic, r.Partition}]
	p.mu.Unlock()
	if last == "" {
		return err
	}
	return fmt.Errorf("%w, last err: %s", err, last)
}
