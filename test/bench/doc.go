// Package bench is the benchmark beside Kafka: BenchmarkBesideKafka runs
// the same load (1 KiB records; produce with acks=all, consume, end-to-end
// latency at a fixed rate) against the reference Apache Kafka 4.4 node and
// the real samsa binary, interleaved round by round, with Kafka's own Java
// client and perf tools on both, and prints each figure's median per target
// and the Samsa/Kafka ratio. `make bench` runs it; docs/bench.md tells the
// knobs. Nothing in it asserts a speed: `go test` without -bench runs only
// the unit tests of its parsing and ratio arithmetic, with no broker.
package bench
