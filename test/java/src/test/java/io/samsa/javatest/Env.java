package io.samsa.javatest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The broker under test and helpers shared by the checks. The Go harness
 * passes -Dbootstrap=host:port (Samsa or the reference Apache Kafka node) and
 * -Dtarget.name=samsa|kafka and -Dnodes=N (the target's broker count). Every wait is bounded; none is a timed
 * assertion.
 */
final class Env {
  static final Duration WAIT = Duration.ofSeconds(60);

  private Env() {}

  static String bootstrap() {
    return System.getProperty("bootstrap", "127.0.0.1:9092");
  }

  /** How many brokers the target has (-Dnodes, default 1). */
  static int nodes() {
    return Integer.getInteger("nodes", 1);
  }

  /** The replication factor of the topics the checks create: min(nodes, 3). */
  static short replication() {
    return (short) Math.min(nodes(), 3);
  }

  static String target() {
    return System.getProperty("target.name", "unknown");
  }

  /** A topic or group name no other check uses. */
  static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  static Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    return Admin.create(p);
  }

  static void createTopic(String topic, int partitions, Map<String, String> configs) throws Exception {
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, replication()).configs(configs))).all().get();
    }
  }

  static Properties producerProps() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    return p;
  }

  static KafkaProducer<String, String> producer(Map<String, Object> extra) {
    Properties p = producerProps();
    p.putAll(extra);
    return new KafkaProducer<>(p);
  }

  static KafkaProducer<byte[], byte[]> bytesProducer(Map<String, Object> extra) {
    Properties p = producerProps();
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.putAll(extra);
    return new KafkaProducer<>(p);
  }

  static Properties consumerProps(String group) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    if (group != null) {
      p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    }
    return p;
  }

  static KafkaConsumer<String, String> consumer(String group, Map<String, Object> extra) {
    Properties p = consumerProps(group);
    p.putAll(extra);
    return new KafkaConsumer<>(p);
  }

  static KafkaConsumer<byte[], byte[]> bytesConsumer(String group, Map<String, Object> extra) {
    Properties p = consumerProps(group);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.putAll(extra);
    return new KafkaConsumer<>(p);
  }

  /**
   * Polls until done holds for the records seen so far or WAIT passes, and
   * returns them all.
   */
  static <K, V> List<ConsumerRecord<K, V>> pollUntil(
      KafkaConsumer<K, V> consumer, Predicate<List<ConsumerRecord<K, V>>> done) {
    List<ConsumerRecord<K, V>> seen = new ArrayList<>();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!done.test(seen) && System.nanoTime() < deadline) {
      consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
    }
    return seen;
  }

  static <K, V> List<ConsumerRecord<K, V>> pollCount(KafkaConsumer<K, V> consumer, int n) {
    return pollUntil(consumer, seen -> seen.size() >= n);
  }

  static <T> List<T> sorted(Collection<T> in, java.util.Comparator<T> cmp) {
    List<T> out = new ArrayList<>(in);
    out.sort(cmp);
    return out;
  }
}
