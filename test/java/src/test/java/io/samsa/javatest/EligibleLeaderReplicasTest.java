package io.samsa.javatest;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.Test;

/**
 * Eligible leader replicas (KIP-966) as the 4.4 Admin client sees them through DescribeTopicPartitions, on a 3-node
 * cluster. On a topic with min.insync.replicas 3, a kill -9 of a follower shrinks the ISR below it: the follower
 * becomes an eligible leader replica. After it starts again (uncleanly, so it is no longer eligible) it catches up
 * and rejoins the ISR, and the ELR is empty again. The Go harness kills and restarts the node (NodeControl), so this
 * check runs only from harness.RunWithNodeControl on a cluster.
 */
class EligibleLeaderReplicasTest {
  private String topic;
  /** The partition as last described, for a failure message. */
  private volatile String last = "none";

  @Test
  void followerOutOfAnUnderMinIsrBecomesEligible() throws Exception {
    NodeControl control = NodeControl.fromSystemProperty();
    assertNotNull(control, "needs -Dnode.control.dir from harness.RunWithNodeControl");
    assertTrue(Env.nodes() >= 3, "needs a cluster of 3 nodes, -Dnodes=" + Env.nodes());
    topic = Env.unique("elr");
    Env.createTopic(topic, 1, Map.of("min.insync.replicas", "3"));
    try (Admin admin = Env.admin()) {
      TopicPartitionInfo p = waitFor(admin, "3 in sync and no ELR",
          i -> i.leader() != null && i.isr().size() == 3 && i.elr().isEmpty() && i.lastKnownElr().isEmpty());
      // A follower that is not the active controller: its death needs no controller failover. The
      // quorum's leader, not describeCluster's controller: a KRaft broker names a random broker there.
      int controller = admin.describeMetadataQuorum().quorumInfo().get(Env.WAIT.toSeconds(), TimeUnit.SECONDS).leaderId();
      int leader = p.leader().id();
      int victim = p.replicas().stream().mapToInt(Node::id).filter(id -> id != leader && id != controller)
          .findFirst().orElseThrow();
      NodeControl.Request kill = control.kill(victim);
      waitFor(admin, "node " + victim + " killed", i -> kill.done());
      waitFor(admin, "ISR without node " + victim + " and ELR [" + victim + "]",
          i -> i.isr().size() == 2 && ids(i.elr()).equals(List.of(victim)) && i.lastKnownElr().isEmpty()
              && i.leader() != null && i.leader().id() == leader);
      NodeControl.Request launch = control.launch(victim);
      waitFor(admin, "node " + victim + " serving again", i -> launch.done());
      waitFor(admin, "node " + victim + " back in the ISR and no ELR",
          i -> i.isr().size() == 3 && i.elr().isEmpty() && i.lastKnownElr().isEmpty());
      System.out.printf("elr on %s: node %d killed and back; last %s%n", Env.target(), victim, last);
    }
  }

  private static List<Integer> ids(List<Node> nodes) {
    return nodes.stream().map(Node::id).collect(Collectors.toList());
  }

  /** Describes the partition until ok holds for it, failing after Env.WAIT; returns it. */
  private TopicPartitionInfo waitFor(Admin admin, String what, Predicate<TopicPartitionInfo> ok)
      throws InterruptedException {
    long end = System.nanoTime() + Env.WAIT.toNanos();
    while (true) {
      TopicPartitionInfo p = describe(admin);
      if (p != null) {
        last = "leader " + (p.leader() == null ? "none" : p.leader().id()) + " isr " + ids(p.isr())
            + " elr " + ids(p.elr()) + " last known elr " + ids(p.lastKnownElr());
        if (ok.test(p)) {
          return p;
        }
      }
      if (System.nanoTime() > end) {
        fail("no " + what + " within " + Env.WAIT + "; partition " + last);
      }
      Thread.sleep(200);
    }
  }

  private TopicPartitionInfo describe(Admin admin) {
    try {
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
      return d.partitions().get(0);
    } catch (Exception e) {
      return null; // a node is going or coming: ask again
    }
  }
}
