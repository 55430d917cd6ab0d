// Package javaclient runs the JUnit 5 checks of test/java (Apache Kafka
// 4.4's Java producer, consumer, transactions and Admin) against the
// reference Apache Kafka and against the real samsa binary, each as one node
// and as a 3-node cluster (where a partition leader is also killed -9 during
// idempotent produce): a check that fails on Kafka is a wrong check, one
// that passes on Kafka and fails on Samsa is a Samsa bug.
package javaclient
