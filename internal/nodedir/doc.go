// Package nodedir is a node's hold on its directories before anything in
// them opens: Lock takes the .lock file of every log dir and the metadata
// log dir (a second process on them fails at once, naming the file), and
// WriteMetaProperties checks or writes Kafka's meta.properties in each,
// refusing a directory of another node or cluster, and returns the
// directory ids a broker registers.
//
// Functions only, called once at start-up from the goroutine starting the
// node. It imports config and storage; nothing else of the module.
package nodedir
