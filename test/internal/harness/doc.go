// Package harness runs the real samsa binary for end-to-end and compatibility
// tests: it builds the binary once per test package (Main), starts brokers on
// free loopback ports with their own data directories (Start, StartExact),
// stops, kills and restarts them, runs the binary's command-line tools and
// external programs with time limits, and polls conditions with deadlines
// (Eventually) so that no test synchronises by sleeping. With MainJava it
// also builds the test/java Maven module and runs the reference Apache Kafka
// 4.4 from its jars (StartKafka, StartKafkaCluster), so that a check can run
// against both (ForEachTarget).
//
// Environment:
//
//	SAMSA_TEST_BIN       use this prebuilt binary instead of building one
//	SAMSA_REQUIRE_TOOLS  "1": a missing external tool (kcat, python) fails
//	                     the test instead of skipping it
//	SAMSA_JAVA_CLASSPATH_FILE  use this test/java classpath file instead of
//	                     building the module (MainJava)
//	SAMSA_DIFF_TARGETS   "samsa" or "kafka": ForEachTarget and
//	                     ForEachCluster run only that side
package harness
