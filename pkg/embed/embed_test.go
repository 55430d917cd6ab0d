package embed_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/pkg/embed"
)

func TestEmbeddedBrokerServesClients(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := embed.Start(ctx, embed.Options{Dir: t.TempDir(), Config: []string{"num.partitions=2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "auto", Value: []byte("hello")}).FirstErr(); err != nil {
		t.Fatalf("produce to an auto-created topic: %v", err)
	}
	cons, _ := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.ConsumeTopics("auto"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	defer cons.Close()
	fs := cons.PollFetches(ctx)
	if fs.NumRecords() != 1 || string(fs.Records()[0].Value) != "hello" {
		t.Fatalf("fetched %d records, errors %v", fs.NumRecords(), fs.Errors())
	}
}
