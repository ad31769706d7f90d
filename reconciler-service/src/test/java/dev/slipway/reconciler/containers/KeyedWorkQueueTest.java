package dev.slipway.reconciler.containers;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The keyed work queue")
class KeyedWorkQueueTest {

  private record Pass(String key, Integer hint, Promise<Void> done) {}

  private final List<Pass> passes = new ArrayList<>();

  private KeyedWorkQueue<String, Integer> queue(int concurrency) {
    return new KeyedWorkQueue<>(
        concurrency,
        (waiting, added) -> added != null ? added : waiting,
        (key, hint) -> {
          Promise<Void> done = Promise.promise();
          passes.add(new Pass(key, hint, done));
          return done.future();
        });
  }

  private Map<String, Integer> passesByKey() {
    Map<String, Integer> counts = new HashMap<>();
    passes.forEach(p -> counts.merge(p.key(), 1, Integer::sum));
    return counts;
  }

  @Test
  @DisplayName("a burst of adds for a waiting key coalesces into one pass with the newest hint")
  void burstCoalesces() {
    KeyedWorkQueue<String, Integer> queue = queue(1);
    queue.add("busy", 0);
    for (int i = 1; i <= 50; i++) {
      queue.add("c1", i);
    }
    assertThat(queue.waiting()).isEqualTo(1);

    passes.get(0).done().complete();

    assertThat(passesByKey()).containsEntry("c1", 1);
    assertThat(passes.get(1).hint()).isEqualTo(50);
  }

  @Test
  @DisplayName("a key added while its pass runs gets one more pass afterwards, never two at once")
  void addedWhileRunning() {
    KeyedWorkQueue<String, Integer> queue = queue(4);
    Future<Void> first = queue.add("c1", 1);
    Future<Void> second = queue.add("c1", 2);
    Future<Void> third = queue.add("c1", 3);

    assertThat(passes).hasSize(1);
    assertThat(queue.running()).isEqualTo(1);

    passes.get(0).done().complete();
    assertThat(first.succeeded()).isTrue();
    assertThat(second.isComplete()).as("the change came after the pass began").isFalse();
    assertThat(passes).hasSize(2);
    assertThat(passes.get(1).hint()).isEqualTo(3);

    passes.get(1).done().complete();
    assertThat(second.succeeded()).isTrue();
    assertThat(third.succeeded()).isTrue();
    assertThat(passes).hasSize(2);
    assertThat(queue.running()).isZero();
    assertThat(queue.waiting()).isZero();
  }

  @Test
  @DisplayName("distinct keys run side by side up to the concurrency, the rest wait their turn")
  void concurrency() {
    KeyedWorkQueue<String, Integer> queue = queue(2);
    queue.add("a", null);
    queue.add("b", null);
    queue.add("c", null);

    assertThat(passes).extracting(Pass::key).containsExactly("a", "b");
    passes.get(1).done().complete();
    assertThat(passes).extracting(Pass::key).containsExactly("a", "b", "c");
  }

  @Test
  @DisplayName("a failed pass fails its waiters and does not hold up other keys")
  void failureIsolated() {
    KeyedWorkQueue<String, Integer> queue = queue(1);
    Future<Void> bad = queue.add("bad", null);
    Future<Void> good = queue.add("good", null);

    passes.get(0).done().fail("inspect failed");
    passes.get(1).done().complete();

    assertThat(bad.failed()).isTrue();
    assertThat(bad.cause()).hasMessage("inspect failed");
    assertThat(good.succeeded()).isTrue();
  }

  @Test
  @DisplayName(
      "passes that end at once drain thousands of waiting keys without deepening the stack")
  void synchronousPasses() {
    List<String> done = new ArrayList<>();
    Promise<Void> gate = Promise.promise();
    KeyedWorkQueue<String, Integer> queue =
        new KeyedWorkQueue<>(
            1,
            (a, b) -> b,
            (key, hint) -> {
              done.add(key);
              return key.equals("first") ? gate.future() : Future.succeededFuture();
            });
    queue.add("first", null);
    for (int i = 0; i < 50_000; i++) {
      queue.add("c" + i, null);
    }
    assertThat(queue.waiting()).isEqualTo(50_000);
    assertThat(queue.whenIdle().isComplete()).isFalse();

    gate.complete();

    assertThat(done).hasSize(50_001);
    assertThat(queue.whenIdle().isComplete()).isTrue();
  }

  @Test
  @DisplayName("a closed queue starts nothing new and fails what waited")
  void close() {
    KeyedWorkQueue<String, Integer> queue = queue(1);
    queue.add("a", null);
    Future<Void> waiting = queue.add("b", null);

    queue.close();
    passes.get(0).done().complete();

    assertThat(waiting.failed()).isTrue();
    assertThat(passes).extracting(Pass::key).containsExactly("a");
    assertThat(queue.add("c", null).failed()).isTrue();
  }
}
