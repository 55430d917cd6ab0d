// Package compat tests the samsa binary with clients written against real
// Kafka: kcat (librdkafka) with every compression codec, checking the
// batches on disk, and confluent-kafka-python (admin, idempotent producer,
// assign-based consumer) through scripts in python/, and kafkajs (Node.js;
// pinned in node/package-lock.json, installed with `npm ci` when missing)
// through scripts in node/; and the Go clients IBM/sarama and
// segmentio/kafka-go, linked in (sarama_test.go, kafkago_test.go). A
// missing tool skips its test unless SAMSA_REQUIRE_TOOLS=1, which
// `make test` sets.
package compat
