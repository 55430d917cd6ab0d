// Package streams runs a Kafka Streams 4.4 word count (test/java's
// io.samsa.javatest.streams.WordCountApp: processing.guarantee
// exactly_once_v2, a repartition topic and a changelog topic, replication
// factor 3) against a 3-node Apache Kafka 4.4 cluster first and a 3-node
// samsa cluster second. A check that fails on Kafka is a wrong check, one
// that passes on Kafka and fails on Samsa is a Samsa bug.
//
// The application runs as its own JVM (java -cp harness.JavaClasspath), so
// the test can kill it with SIGKILL mid-transaction and start a new instance
// with an empty state directory, which restores its store from the
// changelog. A broker is killed with SIGKILL and launched again while the
// first instance runs. The output, read read_committed to its end, must
// hold each word's counts strictly increasing up to its exact count.
//
// One side only: SAMSA_DIFF_TARGETS=kafka or samsa
// go test -count=1 -run TestStreamsWordCountEOS ./test/streams
package streams
