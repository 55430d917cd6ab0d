package io.samsa.javatest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * Share groups (KIP-932) through the 4.4 KafkaShareConsumer: members of one group split a topic, and explicit
 * RELEASE, REJECT and ACCEPT acknowledgements are honoured. A share group starts at the end of each partition
 * (share.auto.offset.reset=latest), so each check first produces markers until a member receives one: from then on
 * every record produced reaches the group. "Never delivered again" is checked with a record produced afterwards: a
 * share-partition hands out its lowest available offsets first.
 */
class ShareConsumerTest {

  static KafkaShareConsumer<String, String> shareConsumer(String group, Map<String, Object> extra) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, Env.bootstrap());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.putAll(extra);
    return new KafkaShareConsumer<>(p);
  }

  /** Produces a marker to partition 0 until consumer receives one; returns what it received, all acknowledged. */
  static void waitUntilConsuming(KafkaProducer<String, String> producer, String topic,
      KafkaShareConsumer<String, String> consumer, boolean explicit) throws Exception {
    long deadline = System.nanoTime() + Env.WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      producer.send(new ProducerRecord<>(topic, 0, null, "marker")).get();
      boolean got = false;
      for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
        got = true;
        if (explicit) {
          consumer.acknowledge(r, AcknowledgeType.ACCEPT);
        }
      }
      if (got) {
        consumer.commitSync();
        return;
      }
    }
    throw new AssertionError("no marker reached the share group within " + Env.WAIT);
  }

  @Test
  void membersSplitATopic() throws Exception {
    String topic = Env.unique("share-split");
    String group = Env.unique("sg-split");
    Env.createTopic(topic, 1, Map.of());
    try (KafkaProducer<String, String> producer = Env.producer(Map.of());
        KafkaShareConsumer<String, String> a = shareConsumer(group, Map.of("max.poll.records", 10));
        KafkaShareConsumer<String, String> b = shareConsumer(group, Map.of("max.poll.records", 10))) {
      a.subscribe(List.of(topic));
      b.subscribe(List.of(topic));
      waitUntilConsuming(producer, topic, a, false);
      int n = 100;
      for (int i = 0; i < n; i++) {
        producer.send(new ProducerRecord<>(topic, 0, null, "v-" + i));
      }
      producer.flush();
      Map<String, Integer> seen = new HashMap<>();
      long deadline = System.nanoTime() + Env.WAIT.toNanos();
      while (seen.keySet().stream().filter(v -> v.startsWith("v-")).count() < n && System.nanoTime() < deadline) {
        for (KafkaShareConsumer<String, String> c : List.of(a, b)) {
          c.poll(Duration.ofMillis(200)).forEach(r -> seen.merge(r.value(), 1, Integer::sum));
        }
      }
      for (int i = 0; i < n; i++) {
        assertEquals(1, seen.getOrDefault("v-" + i, 0), "deliveries of v-" + i + " (all: " + seen + ")");
      }
    }
  }

  @Test
  void explicitAcknowledgements() throws Exception {
    String topic = Env.unique("share-acks");
    String group = Env.unique("sg-acks");
    Env.createTopic(topic, 1, Map.of());
    try (KafkaProducer<String, String> producer = Env.producer(Map.of());
        KafkaShareConsumer<String, String> c = shareConsumer(group, Map.of("share.acknowledgement.mode", "explicit"))) {
      c.subscribe(List.of(topic));
      waitUntilConsuming(producer, topic, c, true);
      for (int i = 0; i < 10; i++) {
        producer.send(new ProducerRecord<>(topic, 0, null, "r-" + i));
      }
      producer.flush();
      Set<String> handled = new TreeSet<>();
      long deadline = System.nanoTime() + Env.WAIT.toNanos();
      while (handled.size() < 10 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
          int i = Integer.parseInt(r.value().substring(2));
          c.acknowledge(r, i < 3 ? AcknowledgeType.RELEASE : i < 5 ? AcknowledgeType.REJECT : AcknowledgeType.ACCEPT);
          handled.add(r.value());
        }
        c.commitSync();
      }
      assertEquals(10, handled.size(), "records handled: " + handled);
      producer.send(new ProducerRecord<>(topic, 0, null, "sentinel")).get();
      Map<String, Short> redelivered = new TreeMap<>();
      deadline = System.nanoTime() + Env.WAIT.toNanos();
      while (!redelivered.containsKey("sentinel") && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
          redelivered.put(r.value(), r.deliveryCount().orElse((short) -1));
          c.acknowledge(r, AcknowledgeType.ACCEPT);
        }
        c.commitSync();
      }
      assertEquals(Map.of("r-0", (short) 2, "r-1", (short) 2, "r-2", (short) 2, "sentinel", (short) 1), redelivered,
          "after RELEASE r-0..2, REJECT r-3..4, ACCEPT r-5..9: what came back, with delivery counts");
    }
  }
}
