package config

import (
	"strings"
	"testing"
)

func TestProducerAndTransactionalIDExpirationKeys(t *testing.T) {
	d := Default()
	if d.ProducerIDExpirationMs != 86400000 || d.ProducerIDExpirationCheckIntervalMs != 600000 ||
		d.TransactionalIdExpirationMs != 604800000 || d.TransactionRemoveExpiredIntervalMs != 3600000 {
		t.Fatalf("defaults: producer %d/%d, transactional %d/%d", d.ProducerIDExpirationMs,
			d.ProducerIDExpirationCheckIntervalMs, d.TransactionalIdExpirationMs, d.TransactionRemoveExpiredIntervalMs)
	}
	b, _, err := Parse([]byte("producer.id.expiration.ms=5000\nproducer.id.expiration.check.interval.ms=100\n"+
		"transactional.id.expiration.ms=7000\ntransaction.remove.expired.transaction.cleanup.interval.ms=200\n"),
		"t.properties", nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.ProducerIDExpirationMs != 5000 || b.ProducerIDExpirationCheckIntervalMs != 100 ||
		b.TransactionalIdExpirationMs != 7000 || b.TransactionRemoveExpiredIntervalMs != 200 {
		t.Fatalf("parsed: producer %d/%d, transactional %d/%d", b.ProducerIDExpirationMs,
			b.ProducerIDExpirationCheckIntervalMs, b.TransactionalIdExpirationMs, b.TransactionRemoveExpiredIntervalMs)
	}
	for _, key := range []string{"producer.id.expiration.ms", "producer.id.expiration.check.interval.ms",
		"transactional.id.expiration.ms", "transaction.remove.expired.transaction.cleanup.interval.ms"} {
		_, _, err := Parse([]byte(key+"=0\n"), "t.properties", nil)
		if err == nil || !strings.Contains(err.Error(), key+": invalid value \"0\"") {
			t.Errorf("%s=0: got %v", key, err)
		}
	}
}
