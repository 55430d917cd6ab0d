package io.samsa.javatest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.FeatureUpdate;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.admin.SupportedVersionRange;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.UpdateFeaturesOptions;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.InvalidUpdateVersionException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.Test;

/**
 * Feature flags (ApiVersions, UpdateFeatures) and DescribeTopicPartitions as the 4.4 Admin client uses them. The
 * levels themselves may differ between brokers (Samsa finalizes only what it implements); what every broker must
 * get right is checked.
 */
class FeaturesTest {

  /** Every finalized level lies in the broker's supported range; metadata.version and group.version are finalized. */
  @Test
  void finalizedLevelsAreSupported() throws Exception {
    try (Admin admin = Env.admin()) {
      FeatureMetadata f = admin.describeFeatures().featureMetadata().get();
      assertTrue(f.finalizedFeaturesEpoch().isPresent() && f.finalizedFeaturesEpoch().get() >= 0, "epoch: " + f);
      for (Map.Entry<String, FinalizedVersionRange> e : f.finalizedFeatures().entrySet()) {
        SupportedVersionRange s = f.supportedFeatures().get(e.getKey());
        assertNotNull(s, e.getKey() + " finalized but not supported: " + f);
        short level = e.getValue().maxVersionLevel();
        assertTrue(s.minVersion() <= level && level <= s.maxVersion(), e.getKey() + " outside its range: " + f);
        assertTrue(level > 0, e.getKey() + " finalized at 0: " + f);
      }
      assertTrue(f.finalizedFeatures().containsKey("metadata.version"), "metadata.version: " + f);
      // group.version 1 is the consumer group protocol (KIP-848) that ConsumerFeaturesTest uses.
      assertEquals(1, f.finalizedFeatures().get("group.version").maxVersionLevel(), "group.version: " + f);
    }
  }

  /**
   * A dry-run update to the finalized level is accepted; an unknown feature and a level beyond the supported range
   * are refused with INVALID_UPDATE_VERSION, and so is the whole request when one of its updates is.
   */
  @Test
  void updateFeaturesValidateOnly() throws Exception {
    UpdateFeaturesOptions dryRun = new UpdateFeaturesOptions().validateOnly(true);
    FeatureUpdate.UpgradeType up = FeatureUpdate.UpgradeType.UPGRADE;
    try (Admin admin = Env.admin()) {
      FeatureMetadata f = admin.describeFeatures().featureMetadata().get();
      short mv = f.finalizedFeatures().get("metadata.version").maxVersionLevel();
      admin.updateFeatures(Map.of("metadata.version", new FeatureUpdate(mv, up)), dryRun).all().get();

      short beyond = (short) (f.supportedFeatures().get("metadata.version").maxVersion() + 1);
      refused(admin.updateFeatures(Map.of("metadata.version", new FeatureUpdate(beyond, up)), dryRun).all());
      refused(admin.updateFeatures(Map.of("samsa.no.such.feature", new FeatureUpdate((short) 1, up)), dryRun).all());
      refused(admin.updateFeatures(Map.of(
          "metadata.version", new FeatureUpdate(mv, up),
          "samsa.no.such.feature", new FeatureUpdate((short) 1, up)), dryRun).values().get("metadata.version"));
    }
  }

  private static void refused(KafkaFuture<Void> f) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(Env.WAIT.toSeconds(), TimeUnit.SECONDS));
    assertInstanceOf(InvalidUpdateVersionException.class, e.getCause(), "refusal: " + e.getCause());
  }

  /**
   * describeTopics with two partitions per DescribeTopicPartitions answer pages through both topics (the cursor
   * crosses from one to the other) and lists every partition once, in order, with empty ELR lists (null ones would
   * mean the client fell back to Metadata); an unknown topic fails alone.
   */
  @Test
  void describeTopicsInPages() throws Exception {
    String a = Env.unique("dtp-a");
    String b = Env.unique("dtp-b");
    Env.createTopic(a, 5, Map.of());
    Env.createTopic(b, 3, Map.of());
    DescribeTopicsOptions pages = new DescribeTopicsOptions().partitionSizeLimitPerResponse(2);
    try (Admin admin = Env.admin()) {
      Map<String, TopicDescription> d = describeEventually(admin, List.of(a, b), pages);
      assertPartitions(d.get(a), 5);
      assertPartitions(d.get(b), 3);

      Map<String, KafkaFuture<TopicDescription>> mixed =
          admin.describeTopics(List.of(a, "samsa-no-such-topic"), pages).topicNameValues();
      assertPartitions(mixed.get(a).get(), 5);
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> mixed.get("samsa-no-such-topic").get(Env.WAIT.toSeconds(), TimeUnit.SECONDS));
      assertInstanceOf(UnknownTopicOrPartitionException.class, e.getCause(), "unknown topic: " + e.getCause());
    }
  }

  /** Describes topics until every one is known (a new topic reaches each broker's metadata in its own time). */
  private static Map<String, TopicDescription> describeEventually(Admin admin, List<String> topics,
      DescribeTopicsOptions opts) throws Exception {
    long deadline = System.nanoTime() + Env.WAIT.toNanos();
    while (true) {
      try {
        return admin.describeTopics(topics, opts).allTopicNames().get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  private static void assertPartitions(TopicDescription t, int n) {
    List<TopicPartitionInfo> ps = t.partitions();
    assertEquals(n, ps.size(), t.toString());
    for (int i = 0; i < n; i++) {
      TopicPartitionInfo p = ps.get(i);
      assertEquals(i, p.partition(), t.toString());
      assertEquals(Env.replication(), p.replicas().size(), t.toString());
      assertNotNull(p.elr(), "no ELR list: Metadata, not DescribeTopicPartitions: " + t);
      assertTrue(p.elr().isEmpty() && p.lastKnownElr().isEmpty(), t.toString());
    }
  }
}
