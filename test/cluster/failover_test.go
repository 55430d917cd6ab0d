package cluster

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-io/samsa/test/internal/harness"
)

// TestLeaderKillNoLoss: an idempotent acks=all producer writes to an RF=3,
// min.insync.replicas=2 topic while, five times, the leader of a partition
// is killed with SIGKILL and restarted once the others took over; one of
// the five victims is the active controller. Afterwards every acknowledged
// record is read exactly once. Failover time is from the kill to the first
// acknowledgement of a record produced after it to a partition the victim
// led.
func TestLeaderKillNoLoss(t *testing.T) {
	const (
		topic      = "failover"
		partitions = 3
		rounds     = 5
	)
	c := harness.StartCluster(t, 3, nil)
	c.CreateTopic(topic, partitions, 3, map[string]string{"min.insync.replicas": "2"})
	cl := c.Client(kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProduceRequestTimeout(5*time.Second), kgo.RetryTimeout(2*time.Minute),
		// librdkafka re-asks for metadata within 100 ms of a leader
		// error; franz-go's default minimum age of 5 s would dominate
		// the failover figure.
		kgo.MetadataMinAge(250*time.Millisecond))
	p := startProducer(cl, topic, partitions, 4000)
	time.Sleep(2 * time.Second)

	var failovers []time.Duration
	for round := range rounds {
		ctrl := c.ActiveController()
		// Kill a partition leader that is not the active controller, except
		// in the round that kills the active controller.
		victim := c.Leader(topic, int32(round%partitions))
		for p := range int32(partitions) {
			if l := c.Leader(topic, p); l != ctrl {
				victim = l
				break
			}
		}
		if round == 2 {
			victim = ctrl
		}
		led := c.PartitionsLedBy(topic, victim)
		killed := time.Now()
		c.Node(victim).Kill()
		t.Logf("round %d: killed node %d (active controller %d), which led partitions %v", round+1, victim, ctrl, led)
		if len(led) > 0 {
			err := harness.Poll(60*time.Second, func() error {
				if _, ok := p.l.firstAckAfter(killed, led); !ok {
					return errNoAckYet
				}
				return nil
			})
			if err != nil {
				t.Fatalf("round %d: no acknowledgement on partitions %v within 60 s of killing node %d", round+1, led, victim)
			}
			at, _ := p.l.firstAckAfter(killed, led)
			failovers = append(failovers, at.Sub(killed))
			t.Logf("round %d: produce resumed on partitions %v after %.2fs", round+1, led, at.Sub(killed).Seconds())
		}
		if round == 2 {
			newCtrl := c.ActiveController()
			t.Logf("round %d: new active controller %d after %.2fs", round+1, newCtrl, time.Since(killed).Seconds())
		}
		time.Sleep(time.Second) // keep producing with one node down
		c.Node(victim).Launch()
		c.WaitFullISR(topic, 3)
		time.Sleep(time.Second)
	}
	p.stop(t, 2*time.Minute)

	reader := c.Client()
	seen := readAll(t, reader, c.Admin(), topic)
	verifyExactlyOnce(t, p.l, seen)
	t.Logf("failover (kill -9 to first acknowledged produce on the victim's partitions): %s; median %.2fs over %d",
		fmtDurations(failovers), median(failovers).Seconds(), len(failovers))
}

type pollError string

func (e pollError) Error() string { return string(e) }

const errNoAckYet = pollError("no acknowledgement yet")
