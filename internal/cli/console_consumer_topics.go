package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// missingTopicWarnEvery spaces the warnings about a topic that does not
// exist. Kafka's consumer warns at each metadata retry (about once a
// second); every few seconds says the same without flooding the terminal.
const missingTopicWarnEvery = 5 * time.Second

// warnWhileTopicsMissing prints, as Kafka's console consumer does through
// its client's log, a WARN line naming each subscribed topic the cluster
// reports an error for (UNKNOWN_TOPIC_OR_PARTITION when it does not exist
// and cannot be auto-created, TOPIC_AUTHORIZATION_FAILED...), again every
// missingTopicWarnEvery while any is missing, and returns once all exist or
// ctx ends. Without it a consumer of a misspelt topic waits in silence.
// LEADER_NOT_AVAILABLE (a topic being created) is not reported. autoCreate
// is the consumer's allow.auto.create.topics, so that the check asks for
// what the consumer itself asks for.
func warnWhileTopicsMissing(ctx context.Context, cl *kgo.Client, topics []string, autoCreate bool, stderr io.Writer) {
	tick := time.NewTicker(missingTopicWarnEvery)
	defer tick.Stop()
	for {
		req := kmsg.NewPtrMetadataRequest()
		req.AllowAutoTopicCreation = autoCreate
		for _, t := range topics {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(t)
			req.Topics = append(req.Topics, rt)
		}
		resp, err := req.RequestWith(ctx, cl)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			issues := map[string]string{}
			pending := 0
			for _, rt := range resp.Topics {
				if rt.ErrorCode == 0 {
					continue
				}
				pending++
				if rt.ErrorCode != kerr.LeaderNotAvailable.Code {
					issues[deref(rt.Topic)] = errorCodeName(rt.ErrorCode)
				}
			}
			if len(issues) > 0 {
				fmt.Fprintf(stderr, "[%s] WARN [Consumer clientId=console-consumer] The metadata response from the cluster reported a recoverable issue : %s\n",
					time.Now().Format("2006-01-02 15:04:05,000"), javaMap(issues))
			}
			if pending == 0 {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// errorCodeName is the Kafka name of an error code (UNKNOWN_TOPIC_OR_PARTITION).
func errorCodeName(code int16) string {
	var ke *kerr.Error
	if errors.As(kerr.ErrorForCode(code), &ke) {
		return ke.Message
	}
	return fmt.Sprintf("error code %d", code)
}

// javaMap renders m as Java's Map.toString does, keys sorted: {a=x, b=y}.
func javaMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// lockedWriter serialises writes from the consume loop and the topic
// watcher onto one stream.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
