package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// BrokerTopic holds the per-topic counters of Kafka's BrokerTopicMetrics
// MBean. A nil *BrokerTopic is valid and records nothing, so code under
// test need not set one up.
type BrokerTopic struct {
	MessagesIn            *prometheus.CounterVec
	BytesIn               *prometheus.CounterVec
	BytesOut              *prometheus.CounterVec
	TotalProduceRequests  *prometheus.CounterVec
	TotalFetchRequests    *prometheus.CounterVec
	FailedProduceRequests *prometheus.CounterVec
	FailedFetchRequests   *prometheus.CounterVec

	// seen holds the topics whose series exist. A topic's first
	// request creates all its series at 0, so that a failure counter is
	// served (and rate() over it is 0, not "no data") before any failure.
	seen sync.Map // topic -> struct{}
}

func (m *BrokerTopic) all() []*prometheus.CounterVec {
	return []*prometheus.CounterVec{m.MessagesIn, m.BytesIn, m.BytesOut, m.TotalProduceRequests,
		m.TotalFetchRequests, m.FailedProduceRequests, m.FailedFetchRequests}
}

func (m *BrokerTopic) touch(topic string) {
	if _, ok := m.seen.Load(topic); ok {
		return
	}
	for _, c := range m.all() {
		c.WithLabelValues(topic)
	}
	m.seen.Store(topic, struct{}{})
}

func topicCounter(reg prometheus.Registerer, name, help string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kafka_server_brokertopicmetrics_" + name + "_total",
		Help: help,
	}, []string{"topic"})
	reg.MustRegister(c)
	return c
}

// NewBrokerTopic registers the counters on reg.
func NewBrokerTopic(reg prometheus.Registerer) *BrokerTopic {
	return &BrokerTopic{
		MessagesIn:            topicCounter(reg, "messagesin", "Records appended by produce requests."),
		BytesIn:               topicCounter(reg, "bytesin", "Record batch bytes received by produce requests."),
		BytesOut:              topicCounter(reg, "bytesout", "Record batch bytes returned by fetch requests."),
		TotalProduceRequests:  topicCounter(reg, "totalproducerequests", "Produce requests per topic-partition."),
		TotalFetchRequests:    topicCounter(reg, "totalfetchrequests", "Fetch requests per topic-partition."),
		FailedProduceRequests: topicCounter(reg, "failedproducerequests", "Produce requests that failed."),
		FailedFetchRequests:   topicCounter(reg, "failedfetchrequests", "Fetch requests that failed."),
	}
}

// Produced records one produce to a partition of topic.
func (m *BrokerTopic) Produced(topic string, records int64, bytes int, failed bool) {
	if m == nil {
		return
	}
	m.touch(topic)
	m.TotalProduceRequests.WithLabelValues(topic).Inc()
	if failed {
		m.FailedProduceRequests.WithLabelValues(topic).Inc()
		return
	}
	m.MessagesIn.WithLabelValues(topic).Add(float64(records))
	m.BytesIn.WithLabelValues(topic).Add(float64(bytes))
}

// Fetched records one fetch from a partition of topic.
func (m *BrokerTopic) Fetched(topic string, bytes int, failed bool) {
	if m == nil {
		return
	}
	m.touch(topic)
	m.TotalFetchRequests.WithLabelValues(topic).Inc()
	if failed {
		m.FailedFetchRequests.WithLabelValues(topic).Inc()
		return
	}
	if bytes > 0 {
		m.BytesOut.WithLabelValues(topic).Add(float64(bytes))
	}
}

// Forget drops a deleted topic's series.
func (m *BrokerTopic) Forget(topic string) {
	if m == nil {
		return
	}
	m.seen.Delete(topic)
	for _, c := range m.all() {
		c.DeleteLabelValues(topic)
	}
}
