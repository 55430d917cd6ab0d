// Package streams runs a Kafka Streams 4.4 word-count application
// (test/java's io.samsa.javatest.streams.WordCountApp, exactly_once_v2)
// against a 3-node Apache Kafka 4.4 cluster and a 3-node samsa cluster
// alike, killing a broker with SIGKILL and restarting the application with
// an empty state directory mid-run, and checks that the counts it writes
// are exact: a check that fails on Kafka is a wrong check, one that passes
// on Kafka and fails on Samsa is a Samsa bug.
package streams
