package io.samsa.javatest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.kafka.common.utils.internals.AppInfoParser;
import org.junit.jupiter.api.Test;

/**
 * Needs no broker: the Go harness runs it when it builds the module, which
 * also fetches Surefire's JUnit provider so later runs can be offline.
 */
class ToolchainTest {
  @Test
  void pinnedClientVersion() {
    assertEquals("4.4.0", AppInfoParser.getVersion(), "kafka-clients on the classpath");
  }
}
