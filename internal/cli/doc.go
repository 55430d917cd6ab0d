// Package cli builds the samsa command tree: one cobra command per tool, each
// a drop-in for the Apache Kafka script it replaces (kafka-topics.sh,
// kafka-console-producer.sh, kafka-server-start.sh, ...).
//
// Every tool accepts the flags of its Kafka counterpart, so runbooks written
// for bin/kafka-X.sh work with "samsa X" or through a multi-call link named
// kafka-X.sh (see ResolveArgs and "samsa install-links"). Each tool lives in
// one file with one constructor (newXCmd) and one options struct; flag values
// are bound to that struct, never to package-level variables.
//
// Errors are returned, never printed here: cmd/samsa prints them as one line
// each (ErrorLines) and maps them to an exit code (ExitCode).
package cli
