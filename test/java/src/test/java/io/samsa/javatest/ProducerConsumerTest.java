package io.samsa.javatest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The Java producer and consumer round trip. */
class ProducerConsumerTest {

  /** An idempotent (the 4.x default), acks=all producer with each codec; headers survive. */
  @ParameterizedTest
  @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
  void idempotentProduceEveryCodec(String codec) throws Exception {
    String topic = Env.unique("codec-" + codec);
    Env.createTopic(topic, 3, Map.of());
    // One acknowledged record per partition first, from another producer:
    // a fresh partition may refuse the first batch while it opens
    // (NOT_LEADER), and if a later batch of the same idempotent producer
    // is taken meanwhile, the retried first one is out of sequence for
    // good (seen on Kafka 4.4 and Samsa alike).
    try (KafkaProducer<String, String> warm = Env.producer(Map.of(ProducerConfig.ACKS_CONFIG, "all"))) {
      for (int p = 0; p < 3; p++) {
        warm.send(new ProducerRecord<>(topic, p, "warm", "warm")).get();
      }
    }
    int n = 300;
    try (KafkaProducer<String, String> producer =
        Env.producer(Map.of(ProducerConfig.ACKS_CONFIG, "all",
            ProducerConfig.COMPRESSION_TYPE_CONFIG, codec,
            ProducerConfig.LINGER_MS_CONFIG, 5))) {
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        ProducerRecord<String, String> rec =
            new ProducerRecord<>(topic, "k" + i, "value-" + i + "-" + "x".repeat(i % 50));
        rec.headers().add("seq", Integer.toString(i).getBytes(StandardCharsets.UTF_8));
        rec.headers().add("codec", codec.getBytes(StandardCharsets.UTF_8));
        acks.add(producer.send(rec));
      }
      producer.flush();
      for (Future<RecordMetadata> f : acks) {
        assertNotNull(f.get());
      }
    }
    try (KafkaConsumer<String, String> consumer = Env.consumer(null, Map.of())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int p = 0; p < 3; p++) {
        tps.add(new TopicPartition(topic, p));
      }
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      List<ConsumerRecord<String, String>> got = new ArrayList<>(Env.pollCount(consumer, n + 3));
      got.removeIf(r -> "warm".equals(r.key()));
      assertEquals(n, got.size(), "records read back");
      Set<String> keys = new HashSet<>();
      for (ConsumerRecord<String, String> r : got) {
        int i = Integer.parseInt(r.key().substring(1));
        keys.add(r.key());
        assertEquals("value-" + i + "-" + "x".repeat(i % 50), r.value());
        Header seq = r.headers().lastHeader("seq");
        assertNotNull(seq, "seq header");
        assertEquals(Integer.toString(i), new String(seq.value(), StandardCharsets.UTF_8));
        assertEquals(codec, new String(r.headers().lastHeader("codec").value(), StandardCharsets.UTF_8));
      }
      assertEquals(n, keys.size(), "distinct keys (no duplicates)");
    }
  }

  /** A record just under the default max.request.size (1 MiB) is accepted and read back whole. */
  @Test
  void recordNearMaxRequestSize() throws Exception {
    String topic = Env.unique("large");
    Env.createTopic(topic, 1, Map.of());
    byte[] value = new byte[1_000_000];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) (i * 31 + 7);
    }
    try (KafkaProducer<byte[], byte[]> producer = Env.bytesProducer(Map.of(ProducerConfig.ACKS_CONFIG, "all"))) {
      producer.send(new ProducerRecord<>(topic, "big".getBytes(StandardCharsets.UTF_8), value)).get();
    }
    try (KafkaConsumer<byte[], byte[]> consumer = Env.bytesConsumer(null, Map.of())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      List<ConsumerRecord<byte[], byte[]>> got = Env.pollCount(consumer, 1);
      assertEquals(1, got.size());
      assertArrayEquals(value, got.get(0).value());
    }
  }

  /**
   * A group consumer (classic protocol with the eager range assignor or the
   * cooperative-sticky assignor, or the KIP-848 consumer protocol) reads all
   * records, commits, and a second consumer of the same group resumes after
   * the committed offsets.
   */
  @ParameterizedTest
  @ValueSource(strings = {"classic-eager", "classic-cooperative", "consumer"})
  void groupRoundTrip(String mode) throws Exception {
    String topic = Env.unique("group-" + mode);
    String group = Env.unique("g-" + mode);
    int partitions = 3;
    Env.createTopic(topic, partitions, Map.of());
    Map<String, Object> cfg = new HashMap<>();
    switch (mode) {
      case "classic-eager" -> {
        cfg.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        cfg.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName());
      }
      case "classic-cooperative" -> {
        cfg.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        cfg.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
      }
      default -> cfg.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
    }
    produce(topic, "a", 90);
    try (KafkaConsumer<String, String> consumer = Env.consumer(group, cfg)) {
      consumer.subscribe(List.of(topic));
      List<ConsumerRecord<String, String>> got = Env.pollCount(consumer, 90);
      assertEquals(90, got.size(), "first consumer's records");
      assertEquals(partitions, consumer.assignment().size(), "assignment");
      consumer.commitSync();
      Set<TopicPartition> tps = consumer.assignment();
      Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(tps);
      long sum = 0;
      for (TopicPartition tp : tps) {
        sum += committed.get(tp).offset();
      }
      assertEquals(90, sum, "committed offsets add up to the records read");
    }
    produce(topic, "b", 30);
    try (KafkaConsumer<String, String> consumer = Env.consumer(group, cfg)) {
      consumer.subscribe(List.of(topic));
      List<ConsumerRecord<String, String>> got = Env.pollCount(consumer, 30);
      assertEquals(30, got.size(), "second consumer's records");
      for (ConsumerRecord<String, String> r : got) {
        assertEquals("b", r.key().substring(0, 1), "resumed after the committed offsets: " + r);
      }
      consumer.commitSync();
    }
  }

  static void produce(String topic, String prefix, int n) throws Exception {
    try (KafkaProducer<String, String> producer = Env.producer(Map.of(ProducerConfig.ACKS_CONFIG, "all"))) {
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        acks.add(producer.send(new ProducerRecord<>(topic, prefix + i, "v" + i)));
      }
      for (Future<RecordMetadata> f : acks) {
        f.get();
      }
    }
  }
}
