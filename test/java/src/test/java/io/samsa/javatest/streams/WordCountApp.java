package io.samsa.javatest.streams;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.StateRestoreListener;

/**
 * A word-count Kafka Streams application in the shape of Kafka's
 * WordCountDemo (kafka-streams-examples is not served to this project), run
 * as its own JVM by test/streams so that the Go test can stop it and start it
 * again: lines from the input topic are split into words, regrouped by word
 * (the "words" repartition topic) and counted (the "counts" store, backed by
 * its changelog topic); every new count goes to the output topic as a long.
 *
 * <p>Usage: {@code WordCountApp bootstrap applicationId input output stateDir
 * commitIntervalMs}. It runs with processing.guarantee=exactly_once_v2 and
 * replication factor 3 until its standard input closes, then closes Kafka Streams, leaving the
 * group, and exits 0. It reports on standard output, one line each, for the
 * Go test to follow: {@code STATE <new state>} on every state change,
 * {@code RESTORED <topic>-<partition> <records>} when a store partition's
 * restore ends, {@code UNCAUGHT <exception>} for a stream thread's uncaught
 * exception (the client then shuts down, Streams' default), and
 * {@code CLOSED} after a clean close (exit 1 after {@code CLOSE TIMED OUT}).
 */
public final class WordCountApp {
  /** The repartition topic is {@code <applicationId>-words-repartition}. */
  static final String GROUPING = "words";
  /** The changelog topic is {@code <applicationId>-counts-changelog}. */
  static final String STORE = "counts";

  private WordCountApp() {}

  static Topology topology(String input, String output) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
        .flatMapValues(line -> Arrays.asList(line.toLowerCase(Locale.ROOT).split("\\W+")))
        .filter((key, word) -> !word.isEmpty())
        .groupBy((key, word) -> word, Grouped.with(GROUPING, Serdes.String(), Serdes.String()))
        .count(Materialized.as(STORE))
        .toStream()
        .to(output, Produced.with(Serdes.String(), Serdes.Long()));
    return builder.build();
  }

  static Properties config(String bootstrap, String applicationId, String stateDir, String commitIntervalMs) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 3);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    // How long each transaction stays open: the test chooses, so that it
    // can kill the application while one is.
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.parseLong(commitIntervalMs));
    // A killed instance leaves the group soon, so its successor's rebalance
    // does not wait for the default 45 s session timeout.
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10000);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 1000);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    return p;
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 6) {
      System.err.println("usage: WordCountApp bootstrap applicationId input output stateDir commitIntervalMs");
      System.exit(2);
    }
    KafkaStreams streams =
        new KafkaStreams(topology(args[2], args[3]), config(args[0], args[1], args[4], args[5]));
    streams.setStateListener((now, before) -> report("STATE " + now));
    streams.setGlobalStateRestoreListener(new StateRestoreListener() {
      @Override
      public void onRestoreStart(TopicPartition tp, String store, long start, long end) {}

      @Override
      public void onBatchRestored(TopicPartition tp, String store, long end, long restored) {}

      @Override
      public void onRestoreEnd(TopicPartition tp, String store, long total) {
        report("RESTORED " + tp + " " + total);
      }
    });
    streams.setUncaughtExceptionHandler(e -> {
      report("UNCAUGHT " + e);
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
          .SHUTDOWN_CLIENT;
    });
    streams.start();

    // Run until the test closes our standard input.
    InputStream in = System.in;
    while (in.read() >= 0) {
      // the test writes nothing; any byte is ignored
    }
    boolean closed = streams.close(
        CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofSeconds(60)));
    if (!closed) {
      report("CLOSE TIMED OUT");
      System.exit(1);
    }
    report("CLOSED");
    System.exit(0);
  }

  private static synchronized void report(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
