package metadata

// QuotaDefault is the entity name that stands for "the default" of an
// entity type (Kafka sends it as a null name; its tools show <default>).
const QuotaDefault = "<default>"

// QuotaEntity names a client-quota entity (KIP-546): a user, a client id,
// or both. An empty field is not part of the entity; QuotaDefault is the
// type's default entity.
type QuotaEntity struct {
	User     string `json:"user,omitempty"`
	ClientID string `json:"client_id,omitempty"`
}

// QuotaValues maps quota keys (producer_byte_rate, consumer_byte_rate,
// request_percentage) to their values.
type QuotaValues map[string]float64

// Quota returns the quota key of entity e, if set.
func (im *Image) Quota(e QuotaEntity, key string) (float64, bool) {
	v, ok := im.Quotas[e][key]
	return v, ok
}
