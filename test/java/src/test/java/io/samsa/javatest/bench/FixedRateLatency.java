package io.samsa.javatest.bench;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * End-to-end latency at a fixed rate, for the benchmark beside Kafka
 * (test/bench). Kafka's own EndToEndLatency tool sends one record and waits
 * for it before the next, which measures a ping-pong, not a steady load; this
 * one produces (acks=all, the producer's other defaults) on a fixed schedule
 * while a consumer in the same JVM reads the topic, and reports the time from
 * each record's scheduled send to its arrival at the consumer. Measuring from
 * the schedule, not from the actual send, keeps a stalled producer from
 * hiding the delay (coordinated omission).
 *
 * <p>Usage: FixedRateLatency BOOTSTRAP TOPIC RATE SECONDS RECORD_SIZE
 * WARMUP_SECONDS. Prints one line:
 *
 * <pre>e2e sent=N received=N samples=N errors=N rate=R p50_ms=X p99_ms=Y p999_ms=Z max_ms=W</pre>
 *
 * and exits 1 when records are missing or a send failed. Every wait is bounded.
 */
public final class FixedRateLatency {
  /** How long the consumer may take to see the last record after the last send. */
  private static final long DRAIN_NANOS = Duration.ofSeconds(30).toNanos();

  private FixedRateLatency() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 6) {
      System.err.println(
          "usage: FixedRateLatency BOOTSTRAP TOPIC RATE SECONDS RECORD_SIZE WARMUP_SECONDS");
      System.exit(2);
    }
    String bootstrap = args[0];
    String topic = args[1];
    int rate = Integer.parseInt(args[2]);
    int seconds = Integer.parseInt(args[3]);
    int recordSize = Integer.parseInt(args[4]);
    int warmupSeconds = Integer.parseInt(args[5]);
    if (recordSize < Long.BYTES || rate <= 0 || seconds <= 0 || warmupSeconds < 0) {
      System.err.println("want RECORD_SIZE >= 8, RATE > 0, SECONDS > 0, WARMUP_SECONDS >= 0");
      System.exit(2);
    }
    System.exit(run(bootstrap, topic, rate, seconds, recordSize, warmupSeconds));
  }

  private static int run(
      String bootstrap, String topic, int rate, int seconds, int recordSize, int warmupSeconds)
      throws Exception {
    long total = (long) rate * (warmupSeconds + seconds);
    long warmup = (long) rate * warmupSeconds;
    long[] latencies = new long[(int) (total - warmup)];
    AtomicLong errors = new AtomicLong();

    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps(bootstrap));
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(bootstrap))) {
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        parts.add(new TopicPartition(topic, p.partition()));
      }
      consumer.assign(parts);
      consumer.seekToEnd(parts);
      for (TopicPartition tp : parts) {
        consumer.position(tp, Duration.ofSeconds(30)); // resolve the end now, before producing
      }

      Consumed consumed = new Consumed(latencies, warmup);
      Thread reader = new Thread(() -> consumed.readAll(consumer, total), "e2e-consumer");
      reader.start();

      long intervalNanos = 1_000_000_000L / rate;
      long start = System.nanoTime();
      byte[] value = new byte[recordSize];
      Arrays.fill(value, (byte) 'x');
      for (long i = 0; i < total; i++) {
        long scheduled = start + i * intervalNanos;
        long wait = scheduled - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        byte[] v = value.clone();
        ByteBuffer.wrap(v).putLong(0, i).putLong(Long.BYTES, scheduled);
        producer.send(
            new ProducerRecord<>(topic, v),
            (md, err) -> {
              if (err != null) {
                errors.incrementAndGet();
              }
            });
      }
      producer.flush();
      double achieved = total / ((System.nanoTime() - start) / 1e9);
      reader.join(Duration.ofNanos(DRAIN_NANOS).toMillis());
      consumed.stop();
      reader.join();

      int n = consumed.samples();
      long[] got = Arrays.copyOf(latencies, n);
      Arrays.sort(got);
      System.out.printf(
          "e2e sent=%d received=%d samples=%d errors=%d rate=%.1f p50_ms=%.3f p99_ms=%.3f"
              + " p999_ms=%.3f max_ms=%.3f%n",
          total,
          consumed.received(),
          n,
          errors.get(),
          achieved,
          millis(percentile(got, 0.50)),
          millis(percentile(got, 0.99)),
          millis(percentile(got, 0.999)),
          millis(n == 0 ? 0 : got[n - 1]));
      return consumed.received() == total && errors.get() == 0 ? 0 : 1;
    }
  }

  /** The consumer's side: latencies of the records after the warm-up, read by one thread. */
  private static final class Consumed {
    private final long[] latencies;
    private final long warmup;
    private volatile boolean stopped;
    private volatile long received;
    private volatile int samples;

    Consumed(long[] latencies, long warmup) {
      this.latencies = latencies;
      this.warmup = warmup;
    }

    void readAll(KafkaConsumer<byte[], byte[]> consumer, long total) {
      long got = 0;
      int n = 0;
      while (got < total && !stopped) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          long now = System.nanoTime();
          ByteBuffer b = ByteBuffer.wrap(r.value());
          long seq = b.getLong(0);
          long scheduled = b.getLong(Long.BYTES);
          got++;
          if (seq >= warmup && n < latencies.length) {
            latencies[n++] = now - scheduled;
          }
        }
        received = got;
        samples = n;
      }
    }

    void stop() {
      stopped = true;
    }

    long received() {
      return received;
    }

    int samples() {
      return samples;
    }
  }

  /** The nearest-rank percentile of sorted values; 0 when there are none. */
  static long percentile(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private static double millis(long nanos) {
    return nanos / 1e6;
  }

  private static Properties producerProps(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-e2e-producer");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }

  private static Properties consumerProps(String bootstrap) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-e2e-consumer");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return p;
  }
}
