// Package kafkatools runs Apache Kafka 4.4's own command-line tools (the
// main classes of kafka-tools and kafka_2.13, with java -cp) against the
// reference Apache Kafka node and then against Samsa, and compares what each
// command prints: a check that fails on Kafka is a wrong check, one that
// passes on Kafka and fails on Samsa is a Samsa bug.
package kafkatools
