package partition

import (
	"fmt"
	"maps"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/internal/metadata"
)

// dynamicConfig tracks the dynamic broker configs (KIP-226) this node
// runs with, so that a topic without an override of its own follows a
// changed default (log.retention.ms, log.segment.bytes, ...) as soon as
// the image carrying it is applied, and the cleaner runs as many workers
// as log.cleaner.threads says.
type dynamicConfig struct {
	applied map[string]string // the image's dynamic configs for this node
	broker  *config.Broker    // the static config with applied on top; nil when none
	changed bool              // applied changed in this ApplyImage: reconfigure every partition
}

// topicDefaults is the broker config that supplies topic defaults.
func (d *dynamicConfig) topicDefaults(static *config.Broker) *config.Broker {
	if d.broker != nil {
		return d.broker
	}
	return static
}

// applyDynamicConfig takes in the image's dynamic broker configs for this
// node. Values that do not parse (they were checked when stored, so only a
// different static config could make them fail) are reported and the
// previous ones kept.
func (m *Manager) applyDynamicConfig(im *metadata.Image) error {
	dyn := im.DynamicBrokerConfig(m.nodeID)
	if maps.Equal(dyn, m.dynamic.applied) {
		return nil
	}
	var eff *config.Broker
	if len(dyn) > 0 {
		var err error
		if eff, err = m.broker.WithDynamic(dyn); err != nil {
			return fmt.Errorf("dynamic broker configs: %w", err)
		}
	}
	m.dynamic = dynamicConfig{applied: dyn, broker: eff, changed: true}
	m.cleanerThreads.Store(m.dynamic.topicDefaults(m.broker).LogCleanerThreads)
	m.logger.Info("applied dynamic broker configs", "configs", dyn)
	return nil
}
