package metadata

import (
	"slices"
	"sort"
)

// Broker is a registered broker as the controller knows it. Host, Port
// and ListenerName are its inter-broker endpoint (replication, the
// controller link, Raft for a broker-only node); Endpoints are every
// advertised non-controller listener, for answering clients on the
// listener their request arrived on.
type Broker struct {
	ID           int32
	Host         string
	Port         int32
	Rack         string
	Fenced       bool
	ListenerName string
	// Endpoints is empty in registrations written before per-listener
	// endpoints existed; AllEndpoints then gives the inter-broker one.
	Endpoints []Endpoint `json:",omitempty"`
	// Epoch is the broker epoch (KIP-631): the metadata log index of the
	// registration record, stamped when the record is applied, so a new
	// incarnation's requests are told apart from an old one's. 0 in
	// registrations applied before epochs were recorded (not checked).
	Epoch int64 `json:",omitempty"`
	// MetadataDirectoryID is the directory.id of the broker's metadata
	// log dir (zero if it registered none): DescribeQuorum reports it for
	// an observer, as Kafka reports the directory id its observers fetch
	// with.
	MetadataDirectoryID [16]byte `json:",omitzero"`
}

// Endpoint is one advertised listener of a broker.
type Endpoint struct {
	Name string
	Host string
	Port int32
}

// Primary returns the inter-broker endpoint.
func (b Broker) Primary() Endpoint {
	return Endpoint{Name: b.ListenerName, Host: b.Host, Port: b.Port}
}

// AllEndpoints returns the broker's advertised endpoints, or just the
// inter-broker one for a registration without Endpoints.
func (b Broker) AllEndpoints() []Endpoint {
	if len(b.Endpoints) == 0 {
		return []Endpoint{b.Primary()}
	}
	return b.Endpoints
}

// EndpointFor returns the broker's endpoint for the named listener, as
// Kafka answers a client with the addresses of the listener its request
// arrived on. An empty name (an in-process or internal request) gives the
// inter-broker endpoint. ok is false when the broker lacks the listener.
func (b Broker) EndpointFor(listener string) (Endpoint, bool) {
	if listener == "" {
		return b.Primary(), true
	}
	for _, e := range b.AllEndpoints() {
		if e.Name == listener {
			return e, true
		}
	}
	return Endpoint{}, false
}

// Equal reports whether two registrations are the same. The epoch is not
// compared: the log assigns it, the registering broker does not send it.
func (b Broker) Equal(o Broker) bool {
	return b.ID == o.ID && b.Host == o.Host && b.Port == o.Port && b.Rack == o.Rack &&
		b.Fenced == o.Fenced && b.ListenerName == o.ListenerName && slices.Equal(b.Endpoints, o.Endpoints) &&
		b.MetadataDirectoryID == o.MetadataDirectoryID
}

// Partition is the replica state of one partition of a topic.
type Partition struct {
	Index          int32
	Leader         int32
	LeaderEpoch    int32
	PartitionEpoch int32
	Replicas       []int32
	ISR            []int32
	// AddingReplicas and RemovingReplicas describe a reassignment in
	// progress (KIP-455): Replicas then holds the target replicas followed
	// by the removing ones. Both are empty when none is in progress.
	AddingReplicas   []int32 `json:",omitempty"`
	RemovingReplicas []int32 `json:",omitempty"`
	// ELR are the eligible leader replicas (KIP-966): replicas out of the
	// ISR that still hold every committed record, because they left it
	// while it was below min.insync.replicas and the high watermark could
	// not advance. One may lead when the ISR is empty. Never overlaps ISR.
	ELR []int32 `json:",omitempty"`
	// LastKnownELR holds the last leader of a partition whose ISR became
	// empty (Kafka 4.4 keeps the last known leader there), until the
	// partition has a leader again.
	LastKnownELR []int32 `json:",omitempty"`
}

// Topic is a topic with its partitions, ordered by index, and its config
// overrides (only the keys set explicitly on the topic).
type Topic struct {
	Name       string
	ID         [16]byte
	Partitions []Partition
	Configs    map[string]string
}

// Image is one immutable version of the cluster metadata.
type Image struct {
	ClusterID    string
	ControllerID int32
	Brokers      map[int32]Broker
	Topics       map[string]*Topic
	TopicsByID   map[[16]byte]*Topic
	// AppliedIndex is the Raft log index of the last record in this image.
	AppliedIndex uint64
	// ACLs are the access-control bindings; apply functions replace the
	// slice, never modify it, because clones share it.
	ACLs []ACL
	// Quotas are the client quotas by entity; replaced copy-on-write like
	// ACLs.
	Quotas map[QuotaEntity]QuotaValues
	// Scram holds SCRAM credentials (scram.go); replaced copy-on-write.
	Scram map[ScramKey]ScramCredential
	// BrokerConfigs are the dynamic broker configs (KIP-226) by resource
	// name: "" is the cluster-wide default, "<id>" one broker's. Replaced
	// copy-on-write like Quotas; see DynamicBrokerConfig.
	BrokerConfigs map[string]map[string]string
}

// Empty returns an image with no brokers and no topics and non-nil maps.
func Empty() *Image {
	return &Image{
		ControllerID: -1,
		Brokers:      map[int32]Broker{},
		Topics:       map[string]*Topic{},
		TopicsByID:   map[[16]byte]*Topic{},
	}
}

// Topic returns the topic named name.
func (im *Image) Topic(name string) (*Topic, bool) {
	t, ok := im.Topics[name]
	return t, ok
}

// TopicByID returns the topic with the given ID.
func (im *Image) TopicByID(id [16]byte) (*Topic, bool) {
	t, ok := im.TopicsByID[id]
	return t, ok
}

// SortedTopicNames returns every topic name in ascending order.
func (im *Image) SortedTopicNames() []string {
	names := make([]string, 0, len(im.Topics))
	for n := range im.Topics {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// SortedBrokers returns every registered broker, fenced or not, by ID.
func (im *Image) SortedBrokers() []Broker {
	out := make([]Broker, 0, len(im.Brokers))
	for _, b := range im.Brokers {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// LiveBrokers returns the unfenced brokers sorted by ID.
func (im *Image) LiveBrokers() []Broker {
	out := make([]Broker, 0, len(im.Brokers))
	for _, b := range im.Brokers {
		if !b.Fenced {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// PartitionOf returns partition p of the named topic.
func (im *Image) PartitionOf(topic string, p int32) (Partition, bool) {
	t, ok := im.Topics[topic]
	if !ok {
		return Partition{}, false
	}
	return t.Partition(p)
}

// Partition returns partition p of the topic.
func (t *Topic) Partition(p int32) (Partition, bool) {
	if p < 0 || int(p) >= len(t.Partitions) {
		return Partition{}, false
	}
	return t.Partitions[p], true
}

// Clone returns a shallow copy of the image whose maps may be modified
// without affecting im. *Topic values are shared; replace, never modify,
// a topic in the clone.
func (im *Image) Clone() *Image {
	next := *im
	next.Brokers = make(map[int32]Broker, len(im.Brokers))
	for k, v := range im.Brokers {
		next.Brokers[k] = v
	}
	next.Topics = make(map[string]*Topic, len(im.Topics))
	for k, v := range im.Topics {
		next.Topics[k] = v
	}
	next.TopicsByID = make(map[[16]byte]*Topic, len(im.TopicsByID))
	for k, v := range im.TopicsByID {
		next.TopicsByID[k] = v
	}
	return &next
}

// Clone returns a deep copy of the topic that may be modified freely.
func (t *Topic) Clone() *Topic {
	next := &Topic{Name: t.Name, ID: t.ID}
	next.Partitions = make([]Partition, len(t.Partitions))
	for i, p := range t.Partitions {
		next.Partitions[i] = p.Clone()
	}
	next.Configs = make(map[string]string, len(t.Configs))
	for k, v := range t.Configs {
		next.Configs[k] = v
	}
	return next
}

// Clone returns a copy of the partition with its own slices.
func (p Partition) Clone() Partition {
	p.Replicas = append([]int32(nil), p.Replicas...)
	p.ISR = append([]int32(nil), p.ISR...)
	p.AddingReplicas = append([]int32(nil), p.AddingReplicas...)
	p.RemovingReplicas = append([]int32(nil), p.RemovingReplicas...)
	p.ELR = append([]int32(nil), p.ELR...)
	p.LastKnownELR = append([]int32(nil), p.LastKnownELR...)
	return p
}

// Reassigning reports whether a reassignment is in progress.
func (p Partition) Reassigning() bool {
	return len(p.AddingReplicas) > 0 || len(p.RemovingReplicas) > 0
}

// TargetReplicas is the replica list the partition will have once its
// reassignment completes (Replicas without the removing ones).
func (p Partition) TargetReplicas() []int32 { return without(p.Replicas, p.RemovingReplicas) }

// OriginalReplicas is the replica list the partition had before its
// reassignment started (Replicas without the adding ones); cancelling the
// reassignment returns to it.
func (p Partition) OriginalReplicas() []int32 { return without(p.Replicas, p.AddingReplicas) }

// without returns the members of list not in drop, in list's order.
func without(list, drop []int32) []int32 {
	out := make([]int32, 0, len(list))
	for _, r := range list {
		if !slices.Contains(drop, r) {
			out = append(out, r)
		}
	}
	return out
}
