// Package mirror runs Apache Kafka's dedicated MirrorMaker 2
// (org.apache.kafka.connect.mirror.MirrorMaker: connect-mirror 4.3.1 on its
// own 4.3.1 clients and Connect runtime, see test/java/mirrormaker/pom.xml)
// between clusters: Apache
// Kafka into Apache Kafka (the reference, which shows the checks
// themselves are right), Apache Kafka into Samsa, and Samsa into Samsa.
// For each flow it checks what MirrorMaker 2 promises: the remote topic
// (source alias + "." + topic, the default replication policy) with the
// source's partition count, every record with its offset, key, value,
// headers and timestamp, the topic configs set on the source, heartbeats,
// and a consumer group's committed offsets translated onto the target, so
// that the group moved there resumes where it stopped.
package mirror
