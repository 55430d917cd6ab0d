package io.samsa.javatest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.Test;

/**
 * A kill -9 of a partition leader on a 3-node cluster while an idempotent,
 * acks=all producer sends a numbered sequence: every acknowledged record is
 * read back exactly once, at the offset its acknowledgement gave, in order,
 * after the restarted node has caught up and led partition 0 again.
 * The Go harness kills and restarts the node when asked (NodeControl), so
 * this check runs only from harness.RunWithNodeControl on a cluster.
 */
class LeaderKillTest {
  static final int PARTITIONS = 3;
  /** Acknowledged records before the leader is killed. */
  static final int BEFORE_KILL = 1000;
  /** Records sent once the killed node serves again. */
  static final int AFTER_RESTART = 600;
  /** Unacknowledged sends at most, so that an outage backs the sender up instead of the buffer. */
  static final int MAX_OUTSTANDING = 300;
  /** Bounds the whole produce phase: failover, a JVM restart and catch-up on a loaded machine. */
  static final Duration PRODUCE_BOUND = Duration.ofMinutes(4);

  private final Map<Integer, Long> ackedOffset = new ConcurrentHashMap<>();
  private final AtomicInteger failed = new AtomicInteger();
  private final Queue<String> failures = new ConcurrentLinkedQueue<>();
  private final Semaphore outstanding = new Semaphore(MAX_OUTSTANDING);
  private KafkaProducer<String, String> producer;
  private String topic;
  private int nextSeq;
  private long deadline;
  /** The outcome of the last cluster request a wait made, for its failure message. */
  private volatile String lastProbe = "none";

  @Test
  void idempotentProduceAcrossLeaderKill() throws Exception {
    NodeControl control = NodeControl.fromSystemProperty();
    assertNotNull(control, "needs -Dnode.control.dir from harness.RunWithNodeControl");
    assertTrue(Env.nodes() >= 3, "needs a cluster of 3 nodes, -Dnodes=" + Env.nodes());
    topic = Env.unique("leader-kill");
    Env.createTopic(topic, PARTITIONS, Map.of("min.insync.replicas", "2"));
    deadline = System.nanoTime() + PRODUCE_BOUND.toNanos();
    int victim;
    int preferred;
    int killedAt;
    int restartedAt;
    int ledAgainAt;
    try (Admin admin = Env.admin()) {
      waitFor("every partition with 3 in sync", () -> fullIsr(admin));
      TopicPartitionInfo p0 = partitions(admin).get(0);
      victim = p0.leader().id();
      preferred = p0.replicas().get(0).id();
      producer = Env.producer(Map.of(
          ProducerConfig.ACKS_CONFIG, "all",
          ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
          ProducerConfig.LINGER_MS_CONFIG, 5));
      try {
        // One record to each partition first, alone: a batch refused while
        // a leader is still opening its new partition (NOT_LEADER) and then
        // overtaken by the next batch would be retried out of sequence
        // (OUT_OF_ORDER_SEQUENCE_NUMBER on Kafka as on Samsa), a hazard of
        // a fresh topic rather than of the kill.
        produceUntil("the first record to each partition", () -> nextSeq >= PARTITIONS);
        producer.flush();
        produceUntil("acknowledgements before the kill", () -> ackedOffset.size() >= BEFORE_KILL);
        killedAt = nextSeq;
        NodeControl.Request kill = control.kill(victim);
        produceUntil("kill -9 of node " + victim, kill::done);
        produceUntil("a new leader of partition 0", everyFewHundredMs(() -> newLeader(admin, victim)));
        NodeControl.Request launch = control.launch(victim);
        produceUntil("node " + victim + " serving again", launch::done);
        restartedAt = nextSeq;
        produceUntil("node " + victim + " back in every ISR", everyFewHundredMs(() -> fullIsr(admin)));
        // Leadership back to the preferred replica (on a fresh topic, the
        // node killed): partition 0 is then read from the log that had to
        // drop any tail it had not replicated when it was killed.
        produceUntil("node " + preferred + " leading partition 0 again after a preferred election",
            everyFewHundredMs(() -> preferredLeads(admin, preferred)));
        ledAgainAt = nextSeq;
        int last = nextSeq + AFTER_RESTART;
        produceUntil(AFTER_RESTART + " more records", () -> nextSeq >= last);
        producer.flush();
      } finally {
        producer.close(Duration.ofSeconds(30));
      }
    }
    int sent = nextSeq;
    System.out.printf("leader-kill on %s: node %d killed after seq %d, back after seq %d, node %d leads partition 0"
        + " after seq %d; %d sent, %d acked, %d failed%n", Env.target(), victim, killedAt, restartedAt, preferred,
        ledAgainAt, sent, ackedOffset.size(), failed.get());
    // Retries are unbounded within delivery.timeout.ms (2 minutes), far
    // longer than a failover takes: no send may fail.
    assertEquals(0, failed.get(), "failed sends, first ones: " + List.copyOf(failures));
    assertEquals(sent, ackedOffset.size(), "acknowledged sends");
    assertReadBackOnce(sent);
  }

  /** Sends records until done holds, failing when PRODUCE_BOUND runs out first. */
  private void produceUntil(String what, BooleanSupplier done) throws InterruptedException {
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("no " + what + " within " + PRODUCE_BOUND + "; " + ackedOffset.size() + " of " + nextSeq
            + " acknowledged, " + failed.get() + " failed: " + List.copyOf(failures) + "; last " + lastProbe);
      }
      // Wait for room rather than queue without bound while a leader is gone.
      if (!outstanding.tryAcquire(100, TimeUnit.MILLISECONDS)) {
        continue;
      }
      int seq = nextSeq++;
      producer.send(new ProducerRecord<>(topic, seq % PARTITIONS, null, "seq-" + seq), (md, err) -> {
        if (err == null) {
          ackedOffset.put(seq, md.offset());
        } else {
          failed.incrementAndGet();
          if (failures.size() < 5) {
            failures.add("seq " + seq + ": " + err);
          }
        }
        outstanding.release();
      });
      if (seq % 20 == 0) {
        Thread.sleep(5); // paces the sender so the kill lands mid-stream
      }
    }
  }

  /** Wraps a cluster probe (an Admin round trip) so that it runs at most every 300 ms. */
  private static BooleanSupplier everyFewHundredMs(BooleanSupplier probe) {
    long[] next = {0};
    return () -> {
      long now = System.nanoTime();
      if (now < next[0]) {
        return false;
      }
      next[0] = now + TimeUnit.MILLISECONDS.toNanos(300);
      return probe.getAsBoolean();
    };
  }

  private void waitFor(String what, BooleanSupplier done) throws InterruptedException {
    long end = System.nanoTime() + Env.WAIT.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > end) {
        fail("no " + what + " within " + Env.WAIT);
      }
      Thread.sleep(200);
    }
  }

  private List<TopicPartitionInfo> partitions(Admin admin) {
    try {
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames()
          .get(10, TimeUnit.SECONDS).get(topic);
      List<TopicPartitionInfo> ps = new ArrayList<>(d.partitions());
      ps.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
      return ps;
    } catch (Exception e) {
      return List.of(); // the cluster is failing over: ask again
    }
  }

  private boolean fullIsr(Admin admin) {
    List<TopicPartitionInfo> ps = partitions(admin);
    return ps.size() == PARTITIONS
        && ps.stream().allMatch(p -> p.leader() != null && p.leader().id() >= 0 && p.isr().size() == 3);
  }

  /**
   * Whether the preferred replica leads partition 0; if not, asks for a
   * preferred election (again, since the controller may not count the
   * replica in sync yet) and notes its outcome for a failure message.
   */
  private boolean preferredLeads(Admin admin, int preferred) {
    List<TopicPartitionInfo> ps = partitions(admin);
    if (!ps.isEmpty() && ps.get(0).leader() != null && ps.get(0).leader().id() == preferred) {
      return true;
    }
    TopicPartition tp = new TopicPartition(topic, 0);
    try {
      Optional<Throwable> err = admin.electLeaders(ElectionType.PREFERRED, Set.of(tp)).partitions()
          .get(10, TimeUnit.SECONDS).get(tp);
      lastProbe = "preferred election: " + err.map(Throwable::toString).orElse("done");
    } catch (Exception e) {
      lastProbe = "preferred election: " + e;
    }
    return false;
  }

  private boolean newLeader(Admin admin, int victim) {
    List<TopicPartitionInfo> ps = partitions(admin);
    return !ps.isEmpty() && ps.get(0).leader() != null && ps.get(0).leader().id() >= 0
        && ps.get(0).leader().id() != victim;
  }

  /**
   * Reads every partition from its start to its end offset: each record is
   * one of the sequence in the partition it was sent to, each partition's
   * sequence numbers increase (send order kept, no duplicate), and every
   * acknowledged record sits at the offset its acknowledgement gave.
   */
  private void assertReadBackOnce(int sent) {
    List<TopicPartition> tps = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      tps.add(new TopicPartition(topic, p));
    }
    Map<Integer, Long> readAt = new HashMap<>();
    try (KafkaConsumer<String, String> consumer = Env.consumer(null, Map.of())) {
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      Map<TopicPartition, Long> end = consumer.endOffsets(tps);
      long bound = System.nanoTime() + Env.WAIT.toNanos();
      int[] lastSeq = new int[PARTITIONS];
      Arrays.fill(lastSeq, -1);
      while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        assertTrue(System.nanoTime() < bound, "read to the end offsets " + end + " within " + Env.WAIT);
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          assertTrue(r.value().startsWith("seq-"), "value " + r.value());
          int seq = Integer.parseInt(r.value().substring(4));
          assertEquals(seq % PARTITIONS, r.partition(), "partition of seq " + seq);
          assertTrue(seq > lastSeq[r.partition()], "partition " + r.partition() + ": seq " + seq
              + " at offset " + r.offset() + " after seq " + lastSeq[r.partition()] + " (duplicate or reordered)");
          lastSeq[r.partition()] = seq;
          readAt.put(seq, r.offset());
        }
      }
    }
    List<String> wrong = new ArrayList<>();
    for (Map.Entry<Integer, Long> e : ackedOffset.entrySet()) {
      Long at = readAt.get(e.getKey());
      if (!e.getValue().equals(at) && wrong.size() < 10) {
        wrong.add("seq " + e.getKey() + " acked at " + e.getValue() + ", read at " + at);
      }
    }
    assertTrue(wrong.isEmpty(), "acknowledged records not read back where acknowledged: " + wrong);
    assertEquals(sent, readAt.size(), "records read back (every acknowledged one once)");
  }
}
