package dev.slipway.infra.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slipway.infra.events.Color;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class LabelsTest {

  private static final String SAFE = "[a-z0-9]([a-z0-9-]*[a-z0-9])?";

  @Test
  @DisplayName("label keys live in the dev.slipway namespace")
  void labelKeys() {
    assertEquals("dev.slipway.managed", Labels.MANAGED);
    assertEquals("dev.slipway.build", Labels.BUILD);
    for (String key :
        List.of(Labels.APP, Labels.DEPLOYMENT, Labels.REVISION, Labels.COLOR, Labels.ROLE)) {
      assertTrue(key.matches("dev\\.slipway\\.[a-z]+"), key);
    }
  }

  @Test
  @DisplayName("a valid app name gives slipway-<app>-<revision>-<color>, the same every time")
  void plainName() {
    assertEquals("slipway-shop-api-7-green", Labels.containerName("shop-api", 7, Color.GREEN));
    assertEquals("slipway-shop-api-7-green", Labels.containerName("shop-api", 7, "green"));
    assertEquals("slipway-a-1-blue", Labels.containerName("a", 1, Color.BLUE));
  }

  @Test
  @DisplayName("an app name with other characters is lowercased and reduced to [a-z0-9-]")
  void sanitized() {
    assertEquals("slipway-my-app-v2-3-blue", Labels.containerName("My_App.v2", 3, Color.BLUE));
    assertEquals("slipway-x-1-blue", Labels.containerName("../x/", 1, Color.BLUE));
    String name = Labels.containerName("Ünïcode app!", 12, Color.GREEN);
    assertTrue(name.matches(SAFE), name);
  }

  @Test
  @DisplayName("a long app name is shortened to 63 characters, keeping distinct apps distinct")
  void longNames() {
    String a = "a".repeat(60) + "-one";
    String b = "a".repeat(60) + "-two";

    String nameA = Labels.containerName(a, 123456789, Color.GREEN);
    String nameB = Labels.containerName(b, 123456789, Color.GREEN);

    assertTrue(nameA.length() <= 63, nameA);
    assertTrue(nameA.matches(SAFE), nameA);
    assertTrue(nameA.startsWith("slipway-aaaa"), nameA);
    assertTrue(nameA.endsWith("-123456789-green"), nameA);
    assertNotEquals(nameA, nameB);
    assertEquals(nameA, Labels.containerName(a, 123456789, Color.GREEN));
    String longest = Labels.containerName("x".repeat(200), Long.MAX_VALUE, Color.GREEN);
    assertTrue(longest.length() <= 63 && longest.matches(SAFE), longest);
  }

  @Test
  @DisplayName(
      "an app without a letter or digit, a revision below 1 or an unknown color is refused")
  void refused() {
    assertThrows(IllegalArgumentException.class, () -> Labels.containerName("--", 1, Color.BLUE));
    assertThrows(IllegalArgumentException.class, () -> Labels.containerName("app", 0, Color.BLUE));
    assertThrows(IllegalArgumentException.class, () -> Labels.containerName("app", 1, "red"));
  }
}
