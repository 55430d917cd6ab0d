package listeners

import "errors"

// minFreeDescriptors is how many file descriptors must be free when the
// listeners start: the listeners themselves, connections to other nodes
// and a few clients. Kafka's own guidance is a limit of 100000 or more.
const minFreeDescriptors = 64

var errTooFewDescriptors = errors.New("too few file descriptors")
