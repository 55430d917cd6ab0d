// Package metadata holds the immutable cluster image: brokers, topics,
// partitions with their leaders, epochs and replica sets, and topic config
// overrides.
//
// An *Image is never mutated after it has been published. The controller's
// FSM builds each new image copy-on-write (the maps are copied, unchanged
// *Topic values are shared) and publishes it through a Publisher. Readers
// call Publisher.Load (one atomic load, no lock) or Subscribe to learn about
// new images.
//
// Callers must treat every value reachable from an Image (maps, slices,
// *Topic) as read-only.
package metadata
