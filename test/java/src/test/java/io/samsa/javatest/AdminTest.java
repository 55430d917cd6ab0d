package io.samsa.javatest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

/** The Admin calls an operator uses first. */
class AdminTest {

  @Test
  void topicsConfigsOffsetsAndRecords() throws Exception {
    String topic = Env.unique("admin");
    try (Admin admin = Env.admin()) {
      admin.createTopics(List.of(new NewTopic(topic, 2, Env.replication())
          .configs(Map.of("retention.ms", "3600000")))).all().get();

      TopicDescription desc = describeTopicUntilReady(admin, topic);
      assertEquals(topic, desc.name());
      assertEquals(2, desc.partitions().size(), "partitions");
      assertFalse(desc.isInternal());
      assertNotNull(desc.topicId());
      desc.partitions().forEach(p -> {
        assertNotNull(p.leader(), "leader of " + p.partition());
        assertEquals(Env.replication(), p.replicas().size());
        assertEquals(Env.replication(), p.isr().size());
      });
      assertTrue(admin.listTopics().names().get().contains(topic), "listTopics");

      ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Config cfg = admin.describeConfigs(List.of(res)).all().get().get(res);
      ConfigEntry retention = cfg.get("retention.ms");
      assertEquals("3600000", retention.value());
      assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, retention.source());
      assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, cfg.get("cleanup.policy").source());
      assertEquals("delete", cfg.get("cleanup.policy").value());

      admin.incrementalAlterConfigs(Map.of(res, List.of(
          new AlterConfigOp(new ConfigEntry("retention.ms", "7200000"), AlterConfigOp.OpType.SET),
          new AlterConfigOp(new ConfigEntry("segment.bytes", "10485760"), AlterConfigOp.OpType.SET))))
          .all().get();
      // The broker answering DescribeConfigs may apply the change a moment
      // after the controller acknowledged it (Kafka and Samsa alike).
      cfg = describeUntil(admin, res, c -> "7200000".equals(c.get("retention.ms").value()));
      assertEquals("7200000", cfg.get("retention.ms").value());
      assertEquals("10485760", cfg.get("segment.bytes").value());
      admin.incrementalAlterConfigs(Map.of(res, List.of(
          new AlterConfigOp(new ConfigEntry("retention.ms", ""), AlterConfigOp.OpType.DELETE))))
          .all().get();
      cfg = describeUntil(admin, res, c -> c.get("retention.ms").source() == ConfigEntry.ConfigSource.DEFAULT_CONFIG);
      assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, cfg.get("retention.ms").source(), "retention.ms after DELETE");

      // 25 records to each partition, with explicit, increasing timestamps.
      long base = System.currentTimeMillis() - 60_000;
      try (var producer = Env.producer(Map.of())) {
        for (int i = 0; i < 50; i++) {
          producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, i % 2, base + i, "k" + i, "v" + i));
        }
        producer.flush();
      }
      TopicPartition p0 = new TopicPartition(topic, 0);
      assertEquals(25, admin.listOffsets(Map.of(p0, OffsetSpec.latest())).all().get().get(p0).offset(), "latest");
      assertEquals(0, admin.listOffsets(Map.of(p0, OffsetSpec.earliest())).all().get().get(p0).offset(), "earliest");
      var max = admin.listOffsets(Map.of(p0, OffsetSpec.maxTimestamp())).all().get().get(p0);
      assertEquals(24, max.offset(), "max timestamp offset");
      assertEquals(base + 48, max.timestamp(), "max timestamp");
      // Record i=10 is p0's offset 5; a time between records rounds up to the next.
      assertEquals(5, admin.listOffsets(Map.of(p0, OffsetSpec.forTimestamp(base + 10))).all().get().get(p0).offset());
      assertEquals(6, admin.listOffsets(Map.of(p0, OffsetSpec.forTimestamp(base + 11))).all().get().get(p0).offset());
      assertEquals(-1, admin.listOffsets(Map.of(p0, OffsetSpec.forTimestamp(base + 1000))).all().get().get(p0).offset(),
          "a time after every record");

      admin.deleteRecords(Map.of(p0, RecordsToDelete.beforeOffset(10))).all().get();
      assertEquals(10, admin.listOffsets(Map.of(p0, OffsetSpec.earliest())).all().get().get(p0).offset(),
          "earliest after deleteRecords");
      assertEquals(25, admin.listOffsets(Map.of(p0, OffsetSpec.latest())).all().get().get(p0).offset());

      admin.createPartitions(Map.of(topic, org.apache.kafka.clients.admin.NewPartitions.increaseTo(3))).all().get();
      assertEquals(3, admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size());

      admin.deleteTopics(List.of(topic)).all().get();
    }
  }

  @Test
  void clusterAndGroups() throws Exception {
    String topic = Env.unique("admin-g");
    String group = Env.unique("admin-group");
    Env.createTopic(topic, 2, Map.of());
    ProducerConsumerTest.produce(topic, "g", 20);
    try (Admin admin = Env.admin()) {
      DescribeClusterResult cluster = admin.describeCluster();
      assertNotNull(cluster.clusterId().get(), "cluster id");
      assertEquals(Env.nodes(), cluster.nodes().get().size(), "nodes");
      assertNotNull(cluster.controller().get(), "controller");

      try (KafkaConsumer<String, String> consumer = Env.consumer(group, Map.of("group.protocol", "classic"))) {
        consumer.subscribe(List.of(topic));
        assertEquals(20, Env.pollCount(consumer, 20).size());
        consumer.commitSync();

        Collection<GroupListing> groups = admin.listGroups().all().get();
        assertTrue(groups.stream().anyMatch(g -> g.groupId().equals(group)), "listGroups has " + group + ": " + groups);
        var consumerGroups = admin.listConsumerGroups().all().get();
        assertTrue(consumerGroups.stream().anyMatch(g -> g.groupId().equals(group)), "listConsumerGroups");

        ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
        assertEquals(group, d.groupId());
        assertEquals("STABLE", d.groupState().name(), "state");
        assertEquals(1, d.members().size(), "members");
        assertEquals(Set.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1)),
            d.members().iterator().next().assignment().topicPartitions(), "assignment");
        assertEquals("range", d.partitionAssignor(), "assignor");
      }

      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      assertEquals(2, offsets.size());
      assertEquals(20, offsets.values().stream().mapToLong(OffsetAndMetadata::offset).sum(), "committed");

      ConsumerGroupDescription empty = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
      assertEquals("EMPTY", empty.groupState().name(), "state after the member left");
      admin.deleteConsumerGroups(List.of(group)).all().get();
      assertFalse(admin.listConsumerGroups().all().get().stream().anyMatch(g -> g.groupId().equals(group)),
          "group deleted");
    }
  }

  /** describeConfigs of res until want holds, for at most 10 s; the last answer either way. */
  /**
   * Describes a topic just created until every partition has a leader, for at most 10 s: a broker may not have
   * applied the controller's new topic yet when createTopics returns (Kafka answers UNKNOWN_TOPIC_OR_PARTITION
   * then, seen on the reference Kafka under load), and clients retry.
   */
  static TopicDescription describeTopicUntilReady(Admin admin, String topic) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    while (true) {
      try {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
        if (d.partitions().stream().allMatch(p -> p.leader() != null) || System.currentTimeMillis() > deadline) {
          return d;
        }
      } catch (java.util.concurrent.ExecutionException e) {
        if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)
            || System.currentTimeMillis() > deadline) {
          throw e;
        }
      }
      Thread.sleep(100);
    }
  }

  static Config describeUntil(Admin admin, ConfigResource res, java.util.function.Predicate<Config> want) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    while (true) {
      Config cfg = admin.describeConfigs(List.of(res)).all().get().get(res);
      if (want.test(cfg) || System.currentTimeMillis() > deadline) {
        return cfg;
      }
      Thread.sleep(100);
    }
  }
}
