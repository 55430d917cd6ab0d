// Package metrics names Samsa's Prometheus metrics and serves them over
// HTTP. Names follow what the Prometheus JMX exporter emits for Apache
// Kafka (kafka_server_brokertopicmetrics_*), so existing dashboards and
// alerts work unchanged. Metrics are registered on a Registerer the caller
// owns, never globally.
package metrics
