// Package harness runs the real samsa binary for end-to-end and compatibility
// tests: it builds the binary once per test package (Main), starts brokers on
// free loopback ports with their own data directories (Start, StartExact),
// stops, kills and restarts them, runs the binary's command-line tools and
// external programs with time limits, and polls conditions with deadlines
// (Eventually) so that no test synchronises by sleeping.
//
// Environment:
//
//	SAMSA_TEST_BIN       use this prebuilt binary instead of building one
//	SAMSA_REQUIRE_TOOLS  "1": a missing external tool (kcat, python) fails
//	                     the test instead of skipping it
package harness
