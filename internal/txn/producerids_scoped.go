package txn

// NodeProducerIDs makes a node's producer ids unique across the cluster:
// the node id in the high 32 bits, the node's own durable counter in the
// low ones. Without it two brokers would both hand out id 0, and two
// producers sharing an id would corrupt each other's sequence and
// transaction state in every partition they both write.
//
// Producer-id blocks from the controller (Kafka's AllocateProducerIds)
// would make the ids dense; this keeps them unique without a round trip.
type NodeProducerIDs struct {
	IDs  *ProducerIDs
	Node int32
}

// Next returns an unused producer id.
func (n NodeProducerIDs) Next() (int64, error) {
	id, err := n.IDs.Next()
	if err != nil {
		return -1, err
	}
	return int64(n.Node)<<32 | id, nil
}
