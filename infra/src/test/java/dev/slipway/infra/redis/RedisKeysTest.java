package dev.slipway.infra.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RedisKeysTest {

  @Test
  @DisplayName("the default prefix gives the key names DESIGN.md lists")
  void defaultKeys() {
    RedisKeys keys = new RedisKeys();

    assertEquals("slipway:", keys.prefix());
    assertEquals("slipway:build:b1", keys.build("b1"));
    assertEquals("slipway:builds", keys.builds());
    assertEquals("slipway:build:b1:log", keys.buildLog("b1"));
    assertEquals("slipway:container:4f9c2a7e1b3d", keys.container("4f9c2a7e1b3d"));
    assertEquals("slipway:containers", keys.containers());
    assertEquals("slipway:app:shop-api", keys.app("shop-api"));
    assertEquals("slipway:apps", keys.apps());
    assertEquals("slipway:routes", keys.routes());
    assertEquals("slipway:routes:changed", keys.routesChannel());
    assertEquals("slipway:feed", keys.feed());
    assertEquals("slipway:idem:7c1f0d5e-2b3a", keys.idempotency("7c1f0d5e-2b3a"));
  }

  @Test
  @DisplayName("a custom prefix lets two installations share one Redis without overlap")
  void customPrefix() {
    RedisKeys staging = new RedisKeys("staging:slipway:");

    assertEquals("staging:slipway:build:b1:log", staging.buildLog("b1"));
    assertEquals("staging:slipway:feed", staging.feed());
    assertEquals("staging:slipway:idem:k", staging.idempotency("k"));
  }

  @Test
  @DisplayName("a bad prefix is refused with a message naming SLIPWAY_KEY_PREFIX")
  void badPrefix() {
    for (String bad : List.of("", "slipway", "slip way:", "slipway:\t", " slipway:")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> new RedisKeys(bad), bad);
      assertTrue(e.getMessage().contains("SLIPWAY_KEY_PREFIX"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> new RedisKeys(null));
  }

  @Test
  @DisplayName("an id cannot make one key family alias another")
  void idsCannotAlias() {
    RedisKeys keys = new RedisKeys();

    assertThrows(IllegalArgumentException.class, () -> keys.build("b1:log"));
    assertThrows(IllegalArgumentException.class, () -> keys.app(""));
    assertThrows(NullPointerException.class, () -> keys.container(null));
    assertThrows(IllegalArgumentException.class, () -> keys.idempotency(""));
  }
}
