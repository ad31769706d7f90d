package dev.slipway.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.gateway.SseSource.SseEvent;
import dev.slipway.infra.events.EventTypes;
import dev.slipway.infra.redis.ContainerHash;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.redis.RedisReplies.Entry;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FeedSourceTest {

  private static Entry entry(String... fields) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i + 1 < fields.length; i += 2) {
      map.put(fields[i], fields[i + 1]);
    }
    return new Entry("1700000000000-0", map);
  }

  private static SseEvent render(String type, String app, Entry entry) {
    return new FeedSource(new RedisKeys(), null, null, FeedSource.Filter.parse(type, app), false)
        .render(entry);
  }

  private static final Entry STATE =
      entry(
          ContainerHash.Feed.KIND, ContainerHash.Feed.KIND_CONTAINER,
          ContainerHash.Feed.EVENT, EventTypes.CONTAINER_STATE_CHANGED,
          ContainerHash.Feed.ID, "c1",
          ContainerHash.Feed.APP, "web",
          ContainerHash.Feed.STATE, "exited");
  private static final Entry DRIFT =
      entry(
          ContainerHash.Feed.KIND,
          ContainerHash.Feed.KIND_CONTAINER,
          ContainerHash.Feed.EVENT,
          EventTypes.CONTAINER_DRIFT,
          ContainerHash.Feed.APP,
          "web",
          ContainerHash.Feed.DRIFT,
          "missing");
  private static final Entry BUILD =
      entry(ContainerHash.Feed.KIND, FeedSource.KIND_BUILD, "id", "b-1", "status", "running");

  @Test
  @DisplayName(
      "feed entries become events named by type: container entries are drift when their event"
          + " is drift; unknown kinds are skipped")
  void types() {
    assertThat(render(null, null, STATE).name()).isEqualTo("container");
    assertThat(render(null, null, DRIFT).name()).isEqualTo("drift");
    assertThat(render(null, null, BUILD).name()).isEqualTo("build");
    assertThat(render(null, null, entry(ContainerHash.Feed.KIND, "weather"))).isNull();
    assertThat(render(null, null, entry("id", "x"))).isNull();
    SseEvent state = render(null, null, STATE);
    assertThat(state.data().getString("state")).isEqualTo("exited");
    assertThat(state.data().containsKey(ContainerHash.Feed.KIND)).isFalse();
  }

  @Test
  @DisplayName("type and app filters select entries; an entry without an app fails an app filter")
  void filters() {
    assertThat(render("container", null, DRIFT)).isNull();
    assertThat(render("drift", null, DRIFT)).isNotNull();
    assertThat(render("build,drift", null, STATE)).isNull();
    assertThat(render("build,drift", null, BUILD)).isNotNull();
    assertThat(render(null, "web", STATE)).isNotNull();
    assertThat(render(null, "api", STATE)).isNull();
    assertThat(render(null, "web", BUILD)).isNull();
  }
}
