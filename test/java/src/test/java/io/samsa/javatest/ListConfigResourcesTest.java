package io.samsa.javatest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConfigResourcesOptions;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

/**
 * Admin.listConfigResources (ListConfigResources v1, KIP-1142): every topic,
 * each broker as a broker and as a broker logger, no group without configs.
 */
class ListConfigResourcesTest {

  static Set<String> names(Collection<ConfigResource> rs, ConfigResource.Type type) {
    return rs.stream().filter(r -> r.type() == type).map(ConfigResource::name).collect(Collectors.toSet());
  }

  @Test
  void listsTopicsBrokersAndGroups() throws Exception {
    String topic = Env.unique("lcr");
    String group = Env.unique("lcr-g");
    Env.createTopic(topic, 1, Map.of());
    try (Admin admin = Env.admin()) {
      admin.alterConsumerGroupOffsets(group, Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(0))).all().get();
      Set<String> brokers = new HashSet<>();
      for (Node n : admin.describeCluster().nodes().get()) {
        brokers.add(n.idString());
      }
      Collection<ConfigResource> all = admin.listConfigResources(Set.of(), new ListConfigResourcesOptions()).all().get();
      assertTrue(names(all, ConfigResource.Type.TOPIC).containsAll(Set.of(topic, "__consumer_offsets")),
          "topics, internal ones included: " + all);
      assertEquals(brokers, names(all, ConfigResource.Type.BROKER), "brokers: " + all);
      assertEquals(brokers, names(all, ConfigResource.Type.BROKER_LOGGER), "broker loggers: " + all);
      Collection<ConfigResource> groups =
          admin.listConfigResources(Set.of(ConfigResource.Type.GROUP), new ListConfigResourcesOptions()).all().get();
      // A group with committed offsets but no dynamic group config is not
      // a config resource (Kafka 4.4 lists only groups with configs).
      assertEquals(Set.of(), names(groups, ConfigResource.Type.GROUP), "groups: " + groups);
      Collection<ConfigResource> topics =
          admin.listConfigResources(Set.of(ConfigResource.Type.TOPIC), new ListConfigResourcesOptions()).all().get();
      assertEquals(Set.of(ConfigResource.Type.TOPIC), topics.stream().map(ConfigResource::type).collect(Collectors.toSet()));
    }
  }
}
