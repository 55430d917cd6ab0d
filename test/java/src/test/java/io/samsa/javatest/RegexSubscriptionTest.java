package io.samsa.javatest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.SubscriptionPattern;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * KIP-848 regular-expression subscriptions: with group.protocol=consumer and
 * a SubscriptionPattern the broker resolves the expression (whole topic
 * names), and a matching topic created after the subscription joins the
 * assignment.
 */
class RegexSubscriptionTest {

  @Test
  void brokerResolvedPatternPicksUpNewTopics() throws Exception {
    String prefix = Env.unique("rx");
    String first = prefix + "-orders";
    String later = prefix + "-orders-eu";
    String other = "x-" + prefix + "-orders"; // contains a match, but is not one
    Env.createTopic(first, 2, Map.of());
    Env.createTopic(other, 1, Map.of());
    try (KafkaConsumer<String, String> c =
        Env.consumer(Env.unique("rx-g"), Map.of(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer"))) {
      c.subscribe(new SubscriptionPattern(prefix + "-orders.*"));
      assertEquals(Set.of(first), pollUntilTopics(c, Set.of(first)));
      Env.createTopic(later, 3, Map.of());
      assertEquals(Set.of(first, later), pollUntilTopics(c, Set.of(first, later)));
      assertEquals(5, c.assignment().size(), "partitions: " + c.assignment());
    }
  }

  /** Polls until the assignment's topics are want, bounded by Env.WAIT; returns the last seen. */
  static Set<String> pollUntilTopics(KafkaConsumer<String, String> c, Set<String> want) {
    long deadline = System.nanoTime() + Env.WAIT.toNanos();
    Set<String> topics = new HashSet<>();
    while (System.nanoTime() < deadline) {
      c.poll(Duration.ofMillis(200));
      topics = new HashSet<>();
      for (TopicPartition tp : c.assignment()) {
        topics.add(tp.topic());
      }
      if (topics.equals(want)) {
        return topics;
      }
    }
    assertTrue(false, "want topics " + want + ", assigned " + c.assignment());
    return topics;
  }
}
