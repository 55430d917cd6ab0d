package partition

import (
	"fmt"
	"strings"

	"github.com/samsa-io/samsa/internal/config"
	"github.com/samsa-io/samsa/protocol/records"
)

// requireKeys rejects, on a compacted topic, a produced batch holding a
// record without a key, as Kafka does (INVALID_RECORD). It decodes the
// records, so it runs only for compacted topics.
func (p *Partition) requireKeys(payload []byte, cfg *config.TopicConfig) error {
	if !strings.Contains(cfg.CleanupPolicy, "compact") {
		return nil
	}
	for rest := payload; len(rest) > 0; {
		batch, next, err := records.Next(rest)
		if err != nil {
			return err
		}
		keyless := false
		if err := records.ForEachRecord(batch, func(r records.Record) bool {
			keyless = r.KeyNull
			return !keyless
		}); err != nil {
			return err
		}
		if keyless {
			return fmt.Errorf("%w: Compacted topic cannot accept message without key in topic partition %s-%d.",
				records.ErrInvalidRecord, p.Topic, p.Index)
		}
		rest = next
	}
	return nil
}
