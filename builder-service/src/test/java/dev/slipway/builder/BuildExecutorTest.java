package dev.slipway.builder;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Build slots")
class BuildExecutorTest {

  private final List<String> started = new ArrayList<>();
  private final List<Promise<Void>> running = new ArrayList<>();

  private BuildExecutor.Task task(String name) {
    return () -> {
      started.add(name);
      Promise<Void> done = Promise.promise();
      running.add(done);
      return done.future();
    };
  }

  @Test
  @DisplayName("at most N builds run at once; the others wait their turn in order")
  void slots() {
    BuildExecutor executor = new BuildExecutor(2);
    executor.submit(task("a"));
    executor.submit(task("b"));
    executor.submit(task("c"));
    executor.submit(task("d"));
    assertThat(started).containsExactly("a", "b");
    assertThat(executor.queued()).isEqualTo(2);

    running.get(1).complete();
    assertThat(started).containsExactly("a", "b", "c");
    assertThat(executor.running()).isEqualTo(2);
  }

  @Test
  @DisplayName("a waiting build can be taken out of the queue; a failed one frees its slot")
  void removeAndFail() {
    BuildExecutor executor = new BuildExecutor(1);
    BuildExecutor.Task waiting = task("b");
    executor.submit(() -> Future.failedFuture("boom"));
    executor.submit(task("a"));
    executor.submit(waiting);
    assertThat(started).containsExactly("a");
    assertThat(executor.remove(waiting)).isTrue();
    running.getFirst().complete();
    assertThat(started).containsExactly("a");
    assertThat(executor.running()).isZero();
  }
}
