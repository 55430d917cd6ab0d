package io.samsa.javatest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The transactional producer: consume-transform-produce with commit and abort. */
class TransactionsTest {

  @Test
  void sendOffsetsCommitAndAbort() throws Exception {
    String in = Env.unique("txn-in");
    String out = Env.unique("txn-out");
    String group = Env.unique("txn-g");
    Env.createTopic(in, 1, Map.of());
    Env.createTopic(out, 1, Map.of());
    ProducerConsumerTest.produce(in, "in", 20);
    TopicPartition inTp = new TopicPartition(in, 0);
    TopicPartition outTp = new TopicPartition(out, 0);

    try (KafkaProducer<String, String> producer =
            Env.producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, Env.unique("tx")));
        KafkaConsumer<String, String> consumer =
            Env.consumer(group, Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
      producer.initTransactions();
      consumer.subscribe(List.of(in));
      List<ConsumerRecord<String, String>> first = Env.pollCount(consumer, 20);
      assertEquals(20, first.size(), "input records");

      // Transaction 1: the first 10 inputs, transformed, with their offsets; committed.
      producer.beginTransaction();
      for (int i = 0; i < 10; i++) {
        producer.send(new ProducerRecord<>(out, first.get(i).key(), "committed-" + first.get(i).value()));
      }
      producer.sendOffsetsToTransaction(Map.of(inTp, new OffsetAndMetadata(10)), consumer.groupMetadata());
      producer.commitTransaction();

      // Transaction 2: the other 10 inputs with their offsets; aborted.
      producer.beginTransaction();
      for (int i = 10; i < 20; i++) {
        producer.send(new ProducerRecord<>(out, first.get(i).key(), "aborted-" + first.get(i).value()));
      }
      producer.sendOffsetsToTransaction(Map.of(inTp, new OffsetAndMetadata(20)), consumer.groupMetadata());
      producer.flush();
      producer.abortTransaction();

      // Transaction 3: a committed marker after the aborted data.
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(out, "end", "committed-end"));
      producer.commitTransaction();

      Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(java.util.Set.of(inTp));
      assertEquals(10, committed.get(inTp).offset(), "the aborted transaction's offsets are not committed");
    }

    try (KafkaConsumer<String, String> rc =
        Env.consumer(null, Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
      rc.assign(List.of(outTp));
      rc.seekToBeginning(List.of(outTp));
      List<ConsumerRecord<String, String>> got =
          Env.pollUntil(rc, seen -> !seen.isEmpty() && "end".equals(seen.get(seen.size() - 1).key()));
      assertEquals(11, got.size(), "read_committed sees the 10 committed records and the end marker: " + got);
      for (ConsumerRecord<String, String> r : got) {
        assertTrue(r.value().startsWith("committed-"), "read_committed saw " + r.value());
      }
      // Nothing else arrives after the end marker.
      ConsumerRecords<String, String> more = rc.poll(java.time.Duration.ofMillis(500));
      assertEquals(0, more.count(), "records after the last committed one");
    }

    try (KafkaConsumer<String, String> ru =
        Env.consumer(null, Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted"))) {
      ru.assign(List.of(outTp));
      ru.seekToBeginning(List.of(outTp));
      List<ConsumerRecord<String, String>> got =
          Env.pollUntil(ru, seen -> !seen.isEmpty() && "end".equals(seen.get(seen.size() - 1).key()));
      assertEquals(21, got.size(), "read_uncommitted sees aborted data too");
    }

    try (Admin admin = Env.admin()) {
      // The last stable offset equals the end offset once every transaction ended.
      long latest = admin.listOffsets(Map.of(outTp, OffsetSpec.latest())).all().get().get(outTp).offset();
      long stable = admin.listOffsets(Map.of(outTp, OffsetSpec.latest()),
          new org.apache.kafka.clients.admin.ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
          .all().get().get(outTp).offset();
      assertEquals(latest, stable, "last stable offset");
      // 21 records and 3 transaction markers.
      assertEquals(24, latest, "log end offset");
    }
  }
}
