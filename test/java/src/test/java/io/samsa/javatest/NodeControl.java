package io.samsa.javatest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Asks the Go harness (harness.RunWithNodeControl) to kill -9 or start again a
 * node of the cluster under test. Request k is the file request-k in the
 * directory given as -Dnode.control.dir, holding "kill ID" or "launch ID";
 * the harness creates done-k once it has carried it out. A check keeps its
 * clients working while a request is served, polling {@link Request#done()}.
 */
final class NodeControl {
  /**
   * The next request number, for every NodeControl of this JVM: the harness numbers one run's requests from 1
   * whichever check writes them, so a second check numbering its own from 1 again would overwrite a request the
   * harness has served and find its done file there already.
   */
  private static final AtomicInteger NEXT = new AtomicInteger(1);

  private final Path dir;

  private NodeControl(Path dir) {
    this.dir = dir;
  }

  /** The harness's control directory, or null when the run has none. */
  static NodeControl fromSystemProperty() {
    String dir = System.getProperty("node.control.dir", "");
    return dir.isEmpty() ? null : new NodeControl(Path.of(dir));
  }

  /** One request written to the harness. */
  final class Request {
    private final Path done;
    final String what;

    private Request(Path done, String what) {
      this.done = done;
      this.what = what;
    }

    boolean done() {
      return Files.exists(done);
    }
  }

  Request kill(int nodeId) throws IOException {
    return request("kill " + nodeId);
  }

  Request launch(int nodeId) throws IOException {
    return request("launch " + nodeId);
  }

  private Request request(String what) throws IOException {
    int k = NEXT.getAndIncrement();
    Path tmp = dir.resolve("request-" + k + ".tmp");
    Files.writeString(tmp, what + "\n", StandardCharsets.UTF_8);
    // Whole or not at all: the harness polls for the final name.
    Files.move(tmp, dir.resolve("request-" + k), StandardCopyOption.ATOMIC_MOVE);
    return new Request(dir.resolve("done-" + k), what);
  }
}
