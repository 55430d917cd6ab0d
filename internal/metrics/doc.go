// Package metrics names Samsa's Prometheus metrics and serves them over
// HTTP (/metrics, /healthz, /readyz). Names follow what the Prometheus JMX
// exporter emits for Apache Kafka (kafka_server_brokertopicmetrics_*,
// kafka_server_replicamanager_*, kafka_controller_kafkacontroller_*,
// kafka_network_requestmetrics_*, kafka_log_log_size) and what
// kafka_exporter emits for consumer lag (kafka_consumergroup_*,
// kafka_topic_partition_*), so existing dashboards and alerts work
// unchanged; Samsa's own internals are samsa_*.
//
// Counters on the request path (BrokerTopic, Requests) are updated inline
// with preallocated or cached series. Everything else is read at scrape
// time by NodeCollector through the functions in Sources, which the server
// adapts from its parts, so this package imports none of them. Metrics are
// registered on a Registerer the caller owns, never globally.
package metrics
