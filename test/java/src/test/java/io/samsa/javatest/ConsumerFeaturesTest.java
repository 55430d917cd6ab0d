package io.samsa.javatest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Consumer features beyond the plain round trip. */
class ConsumerFeaturesTest {

  /** seek, seekToEnd, offsetsForTimes, beginningOffsets/endOffsets, pause and resume. */
  @Test
  void seekTimesPauseResume() throws Exception {
    String topic = Env.unique("seek");
    Env.createTopic(topic, 2, Map.of());
    long base = System.currentTimeMillis() - 60_000;
    try (KafkaProducer<String, String> producer = Env.producer(Map.of())) {
      for (int i = 0; i < 40; i++) {
        producer.send(new ProducerRecord<>(topic, i % 2, base + i * 10L, "k" + i, "v" + i));
      }
      producer.flush();
    }
    TopicPartition p0 = new TopicPartition(topic, 0);
    TopicPartition p1 = new TopicPartition(topic, 1);
    try (KafkaConsumer<String, String> c = Env.consumer(null, Map.of())) {
      c.assign(List.of(p0, p1));
      assertEquals(Map.of(p0, 0L, p1, 0L), c.beginningOffsets(List.of(p0, p1)));
      assertEquals(Map.of(p0, 20L, p1, 20L), c.endOffsets(List.of(p0, p1)));

      // Record i=21 is p1's offset 10 at base+210; base+205 rounds up to it.
      Map<TopicPartition, OffsetAndTimestamp> times =
          c.offsetsForTimes(Map.of(p0, base + 200, p1, base + 205));
      assertEquals(10, times.get(p0).offset());
      assertEquals(base + 200, times.get(p0).timestamp());
      assertEquals(10, times.get(p1).offset());
      assertEquals(base + 210, times.get(p1).timestamp());
      assertNull(c.offsetsForTimes(Map.of(p0, base + 10_000)).get(p0), "a time after every record");

      c.seek(p0, 15);
      c.seek(p1, 18);
      List<ConsumerRecord<String, String>> got = Env.pollCount(c, 7);
      assertEquals(7, got.size());
      for (ConsumerRecord<String, String> r : got) {
        assertTrue(r.partition() == 0 ? r.offset() >= 15 : r.offset() >= 18, "after seek: " + r);
      }

      // Pause p0: new records on p0 are not returned until resume.
      c.seekToEnd(List.of(p0, p1));
      assertEquals(20, c.position(p0));
      c.pause(List.of(p0));
      assertEquals(Set.of(p0), c.paused());
      try (KafkaProducer<String, String> producer = Env.producer(Map.of())) {
        producer.send(new ProducerRecord<>(topic, 0, "paused", "on p0"));
        producer.send(new ProducerRecord<>(topic, 1, "live", "on p1"));
        producer.flush();
      }
      List<ConsumerRecord<String, String>> live = Env.pollCount(c, 1);
      assertEquals(1, live.size());
      assertEquals("live", live.get(0).key());
      c.resume(List.of(p0));
      List<ConsumerRecord<String, String>> resumed = Env.pollCount(c, 1);
      assertEquals(1, resumed.size());
      assertEquals("paused", resumed.get(0).key());
    }
  }

  /**
   * Two members of one group in one thread: the second member's join
   * rebalances the partitions over both, and its leave gives them all back.
   */
  @ParameterizedTest
  @ValueSource(strings = {"classic-cooperative", "consumer"})
  void rebalanceOnJoinAndLeave(String mode) throws Exception {
    String topic = Env.unique("rebal-" + mode);
    String group = Env.unique("rebal-g");
    Env.createTopic(topic, 4, Map.of());
    Map<String, Object> cfg = new HashMap<>();
    if (mode.equals("consumer")) {
      cfg.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
    } else {
      cfg.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
      cfg.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
    }
    try (KafkaConsumer<String, String> a = Env.consumer(group, cfg)) {
      a.subscribe(List.of(topic));
      pollUntilAssigned(List.of(a), 4);
      try (KafkaConsumer<String, String> b = Env.consumer(group, cfg)) {
        b.subscribe(List.of(topic));
        pollUntilAssigned(List.of(a, b), 2);
        Set<TopicPartition> all = new HashSet<>(a.assignment());
        all.addAll(b.assignment());
        assertEquals(4, all.size(), "every partition assigned once: " + a.assignment() + " " + b.assignment());
        try (Admin admin = Env.admin()) {
          ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
          assertEquals(2, d.members().size(), "members");
        }
      }
      pollUntilAssigned(List.of(a), 4);
    }
  }

  /** Polls every consumer until each holds exactly want partitions, bounded by Env.WAIT. */
  static void pollUntilAssigned(List<KafkaConsumer<String, String>> consumers, int want) {
    long deadline = System.nanoTime() + Env.WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      boolean done = true;
      for (KafkaConsumer<String, String> c : consumers) {
        c.poll(Duration.ofMillis(100));
        done &= c.assignment().size() == want;
      }
      if (done) {
        return;
      }
    }
    List<Set<TopicPartition>> got = new ArrayList<>();
    consumers.forEach(c -> got.add(c.assignment()));
    throw new AssertionError("want " + want + " partitions each, have " + got);
  }

  /**
   * Static membership: a member with group.instance.id that closes and
   * comes back (within the session timeout) gets its partitions again, and
   * describeConsumerGroups shows its instance id.
   */
  @Test
  void staticMembership() throws Exception {
    String topic = Env.unique("static");
    String group = Env.unique("static-g");
    Env.createTopic(topic, 2, Map.of());
    Map<String, Object> cfg = Map.of(
        ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic",
        ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-1",
        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 30_000);
    for (int round = 0; round < 2; round++) {
      try (KafkaConsumer<String, String> c = Env.consumer(group, cfg)) {
        c.subscribe(List.of(topic));
        pollUntilAssigned(List.of(c), 2);
        try (Admin admin = Env.admin()) {
          ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
          assertEquals(1, d.members().size(), "round " + round + " members");
          assertEquals("instance-1", d.members().iterator().next().groupInstanceId().orElse(null));
        }
      }
    }
  }
}
