package io.samsa.javatest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ElectionNotNeededException;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.junit.jupiter.api.Test;

/** Admin calls an operator uses beyond topics and groups. */
class AdminOpsTest {

  /** describeFeatures (ApiVersions' supported and finalized features) names metadata.version. */
  @Test
  void features() throws Exception {
    try (Admin admin = Env.admin()) {
      FeatureMetadata f = admin.describeFeatures().featureMetadata().get();
      assertTrue(f.finalizedFeatures().containsKey("metadata.version"), "metadata.version finalized: " + f);
      assertTrue(f.supportedFeatures().containsKey("metadata.version"), "metadata.version supported: " + f);
    }
  }

  @Test
  void quorumAndLogDirs() throws Exception {
    String topic = Env.unique("ops-logdirs");
    Env.createTopic(topic, 1, Map.of());
    ProducerConsumerTest.produce(topic, "l", 10);
    try (Admin admin = Env.admin()) {
      QuorumInfo q = admin.describeMetadataQuorum().quorumInfo().get();
      assertEquals(Env.nodes(), q.voters().size(), "voters");
      assertTrue(q.voters().stream().anyMatch(v -> v.replicaId() == q.leaderId()), "a voter leads: " + q);

      int node = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic)
          .partitions().get(0).leader().id();
      Map<String, LogDirDescription> dirs = admin.describeLogDirs(List.of(node)).allDescriptions().get().get(node);
      assertFalse(dirs.isEmpty(), "log dirs");
      TopicPartition tp = new TopicPartition(topic, 0);
      boolean found = dirs.values().stream().anyMatch(d -> d.replicaInfos().containsKey(tp)
          && d.replicaInfos().get(tp).size() > 0);
      assertTrue(found, "describeLogDirs lists " + tp + " with a size: " + dirs);
    }
  }

  @Test
  void electionsAndReassignments() throws Exception {
    String topic = Env.unique("ops-elect");
    Env.createTopic(topic, 1, Map.of());
    TopicPartition tp = new TopicPartition(topic, 0);
    try (Admin admin = Env.admin()) {
      Map<TopicPartition, Optional<Throwable>> res =
          admin.electLeaders(ElectionType.PREFERRED, Set.of(tp)).partitions().get();
      assertTrue(res.get(tp).isPresent() && res.get(tp).get() instanceof ElectionNotNeededException,
          "preferred election when the preferred replica leads is not needed: " + res);

      // Reassign to the replicas it has, in the same order: nothing to move.
      List<Integer> replicas = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic)
          .partitions().get(0).replicas().stream().map(n -> n.id()).toList();
      admin.alterPartitionReassignments(Map.of(tp, Optional.of(new NewPartitionReassignment(replicas))))
          .all().get();
      assertTrue(admin.listPartitionReassignments().reassignments().get().isEmpty(), "no reassignment left in flight");
    }
  }

  @Test
  void scramUsersAndQuotas() throws Exception {
    String user = Env.unique("user");
    try (Admin admin = Env.admin()) {
      admin.alterUserScramCredentials(List.of(
          new UserScramCredentialUpsertion(user, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192), "secret")))
          .all().get();
      UserScramCredentialsDescription d = admin.describeUserScramCredentials(List.of(user)).all().get().get(user);
      assertEquals(List.of(new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192)), d.credentialInfos());

      ClientQuotaEntity entity = new ClientQuotaEntity(Map.of(ClientQuotaEntity.USER, user));
      admin.alterClientQuotas(List.of(new ClientQuotaAlteration(entity,
          List.of(new ClientQuotaAlteration.Op("producer_byte_rate", 1048576.0))))).all().get();
      // The alteration reaches the broker through the metadata log, so poll (bounded).
      Map<ClientQuotaEntity, Map<String, Double>> q = Map.of();
      long deadline = System.nanoTime() + Env.WAIT.toNanos();
      while (!q.containsKey(entity) && System.nanoTime() < deadline) {
        q = admin.describeClientQuotas(ClientQuotaFilter.all()).entities().get();
      }
      assertEquals(Map.of("producer_byte_rate", 1048576.0), q.get(entity), "quotas: " + q);
    }
  }

  @Test
  void producersAndTransactions() throws Exception {
    String topic = Env.unique("ops-txn");
    String txnId = Env.unique("ops-tx");
    Env.createTopic(topic, 1, Map.of());
    TopicPartition tp = new TopicPartition(topic, 0);
    try (KafkaProducer<String, String> producer =
            Env.producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txnId));
        Admin admin = Env.admin()) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "k", "v")).get();

      List<ProducerState> producers = admin.describeProducers(List.of(tp)).all().get().get(tp).activeProducers();
      assertEquals(1, producers.size(), "active producers: " + producers);
      assertTrue(producers.get(0).currentTransactionStartOffset().isPresent(), "open transaction start offset");

      var listed = admin.listTransactions().all().get();
      assertTrue(listed.stream().map(TransactionListing::transactionalId).anyMatch(txnId::equals),
          "listTransactions has " + txnId + ": " + listed);
      var desc = admin.describeTransactions(List.of(txnId)).all().get().get(txnId);
      assertEquals("ONGOING", desc.state().name());
      assertEquals(Set.of(tp), desc.topicPartitions());
      producer.commitTransaction();
      var after = admin.describeTransactions(List.of(txnId)).all().get().get(txnId);
      assertTrue(Set.of("COMPLETE_COMMIT", "PREPARE_COMMIT").contains(after.state().name()), "state " + after.state());
    }
  }
}
