package controller

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/samsa-io/samsa/internal/metadata"
)

// snapshotVersion is the first byte of a snapshot; the JSON encoding of
// snapshotV1 follows.
const snapshotVersion = 1

type snapshotV1 struct {
	ClusterID    string            `json:"cluster_id"`
	AppliedIndex uint64            `json:"applied_index"`
	Brokers      []metadata.Broker `json:"brokers"`
	Topics       []*metadata.Topic `json:"topics"`
	ACLs         []metadata.ACL    `json:"acls,omitempty"`
	Quotas       []QuotaChange     `json:"quotas,omitempty"` // Set only
	Scram        []ScramUpsert     `json:"scram,omitempty"`
	// BrokerConfigs are the dynamic broker configs, one Set-only record
	// per resource; absent in snapshots written before they existed.
	BrokerConfigs []BrokerConfigRecord `json:"broker_configs,omitempty"`
}

func encodeSnapshot(w io.Writer, im *metadata.Image) error {
	s := snapshotV1{
		ClusterID:     im.ClusterID,
		AppliedIndex:  im.AppliedIndex,
		Brokers:       im.SortedBrokers(),
		ACLs:          im.ACLs,
		Quotas:        snapshotQuotas(im),
		Scram:         snapshotScram(im),
		BrokerConfigs: snapshotBrokerConfigs(im),
	}
	for _, name := range im.SortedTopicNames() {
		s.Topics = append(s.Topics, im.Topics[name])
	}
	bw := bufio.NewWriter(w)
	if err := bw.WriteByte(snapshotVersion); err != nil {
		return err
	}
	if err := json.NewEncoder(bw).Encode(&s); err != nil {
		return err
	}
	return bw.Flush()
}

func decodeSnapshot(r io.Reader) (*metadata.Image, error) {
	br := bufio.NewReader(r)
	v, err := br.ReadByte()
	if err != nil {
		return nil, fmt.Errorf("read version: %w", err)
	}
	if v != snapshotVersion {
		return nil, fmt.Errorf("%w: snapshot version %d", ErrUnknownRecord, v)
	}
	var s snapshotV1
	if err := json.NewDecoder(br).Decode(&s); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	im := metadata.Empty()
	im.ClusterID = s.ClusterID
	im.AppliedIndex = s.AppliedIndex
	for _, b := range s.Brokers {
		im.Brokers[b.ID] = b
	}
	for _, t := range s.Topics {
		if t.Configs == nil {
			t.Configs = map[string]string{}
		}
		im.Topics[t.Name] = t
		im.TopicsByID[t.ID] = t
	}
	im.ACLs = s.ACLs
	if err := applyQuotas(im, &QuotasRecord{Changes: s.Quotas}); err != nil {
		return nil, fmt.Errorf("decode quotas: %w", err)
	}
	if err := applyScram(im, &ScramRecord{Upserts: s.Scram}); err != nil {
		return nil, fmt.Errorf("decode scram credentials: %w", err)
	}
	for i := range s.BrokerConfigs {
		if err := applyBrokerConfig(im, &s.BrokerConfigs[i]); err != nil {
			return nil, fmt.Errorf("decode broker configs: %w", err)
		}
	}
	return im, nil
}
