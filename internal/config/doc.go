// Package config reads a Samsa node's configuration.
//
// It holds three things:
//
//   - a parser for Java properties files (ParseProperties), the syntax of
//     Kafka's server.properties;
//   - the typed broker configuration (Broker) with Kafka's key names and
//     defaults, built by Load or Parse and checked by Validate, which reports
//     every problem at once, each naming the key, the value and what is
//     allowed;
//   - the table of topic-level configurations (TopicConfigDefs) used by
//     CreateTopics, DescribeConfigs and AlterConfigs, with the broker key that
//     supplies each default and ResolveTopicConfig to overlay a topic's
//     overrides on the broker defaults.
//
// Keys that Kafka knows but Samsa does not use, and keys nobody knows, are
// returned by Load and Parse as "ignored" so that the caller can report them
// once at start-up; they are never silently dropped and never an error.
package config
