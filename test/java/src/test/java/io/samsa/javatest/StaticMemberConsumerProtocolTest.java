package io.samsa.javatest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * KIP-848 static membership (group.protocol=consumer with group.instance.id):
 * a static member that closes keeps its partitions (no rebalance: the other
 * member does not get them), and the same instance id, back with a new
 * member id, gets the same partitions again.
 */
class StaticMemberConsumerProtocolTest {

  static Map<String, Object> cfg(String instance) {
    return Map.of(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer", ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instance);
  }

  @Test
  void closedStaticMemberKeepsItsPartitionsUntilItReturns() throws Exception {
    String topic = Env.unique("static848");
    String group = Env.unique("static848-g");
    Env.createTopic(topic, 4, Map.of());
    try (KafkaConsumer<String, String> b = Env.consumer(group, cfg("instance-b"))) {
      b.subscribe(List.of(topic));
      Set<TopicPartition> aHad;
      try (KafkaConsumer<String, String> a = Env.consumer(group, cfg("instance-a"))) {
        a.subscribe(List.of(topic));
        ConsumerFeaturesTest.pollUntilAssigned(List.of(a, b), 2);
        aHad = new HashSet<>(a.assignment());
      }
      // a left as a static member: b keeps its two for several heartbeats.
      long until = System.nanoTime() + Duration.ofSeconds(8).toNanos();
      while (System.nanoTime() < until) {
        b.poll(Duration.ofMillis(200));
        assertEquals(2, b.assignment().size(), "b took a's partitions while a was away: " + b.assignment());
      }
      try (KafkaConsumer<String, String> a2 = Env.consumer(group, cfg("instance-a"))) {
        a2.subscribe(List.of(topic));
        ConsumerFeaturesTest.pollUntilAssigned(List.of(a2, b), 2);
        assertEquals(aHad, a2.assignment(), "instance-a back");
      }
    }
  }
}
