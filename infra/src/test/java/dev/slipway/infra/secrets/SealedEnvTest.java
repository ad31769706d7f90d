package dev.slipway.infra.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.infra.events.DeploySpec;
import dev.slipway.infra.events.SampleEvents;
import dev.slipway.infra.json.Json;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SealedEnvTest {

  private static final String CANARY = "postgres://app:canary-pässwörd-41d7@db/app";

  private static SecretBox box(int fill) {
    byte[] key = new byte[32];
    Arrays.fill(key, (byte) fill);
    return new SecretBox(key);
  }

  @Test
  @DisplayName(
      "sealing keeps the names, hides every value behind the sealed:v1:<key id>: prefix, and"
          + " opening gives the values back")
  void roundTrip() {
    SecretBox box = box(3);
    Map<String, String> sealed =
        SealedEnv.seal(box, Map.of("DATABASE_URL", CANARY, "MODE", "prod", "EMPTY", ""));

    assertThat(sealed).containsOnlyKeys("DATABASE_URL", "MODE", "EMPTY");
    assertThat(sealed.keySet()).containsExactly("DATABASE_URL", "EMPTY", "MODE");
    assertThat(sealed.values())
        .allSatisfy(
            v -> {
              assertThat(v).startsWith(SealedEnv.PREFIX + box.keyId() + ":");
              assertThat(SealedEnv.isSealed(v)).isTrue();
              assertThat(SealedEnv.keyIdOf(v)).isEqualTo(box.keyId());
            });
    assertThat(sealed.get("DATABASE_URL")).doesNotContain("canary").doesNotContain("postgres");
    assertThat(sealed.get("MODE")).doesNotContain("prod");
    assertThat(SealedEnv.open(box, sealed))
        .isEqualTo(Map.of("DATABASE_URL", CANARY, "MODE", "prod", "EMPTY", ""));
    assertThat(SealedEnv.plainNames(sealed)).isEmpty();
  }

  @Test
  @DisplayName("the same value sealed twice gives two different texts that both open to it")
  void freshNoncePerSeal() {
    SecretBox box = box(3);
    String a = SealedEnv.seal(box, CANARY);
    String b = SealedEnv.seal(box, CANARY);
    assertThat(a).isNotEqualTo(b);
    assertThat(SealedEnv.open(box, "X", a)).isEqualTo(CANARY);
    assertThat(SealedEnv.open(box, "X", b)).isEqualTo(CANARY);
  }

  @Test
  @DisplayName(
      "a client value that already looks sealed is sealed again, so the container gets exactly"
          + " what the client sent")
  void lookalikeIsSealedAgain() {
    SecretBox box = box(3);
    String lookalike = SealedEnv.PREFIX + "k-0000:bm90IGEgc2VjcmV0";
    Map<String, String> sealed = SealedEnv.seal(box, Map.of("TRICK", lookalike));
    assertThat(SealedEnv.open(box, sealed)).containsEntry("TRICK", lookalike);
  }

  @Test
  @DisplayName(
      "a value sealed with another key fails with a reason naming the variable, both key ids and"
          + " SLIPWAY_SECRET_KEY, never the value")
  void wrongKey() {
    SecretBox sealer = box(3);
    SecretBox other = box(4);
    Map<String, String> sealed = SealedEnv.seal(sealer, Map.of("MODE", CANARY));

    assertThatThrownBy(() -> SealedEnv.open(other, sealed))
        .isInstanceOf(SealedEnv.UnreadableEnvException.class)
        .hasMessageStartingWith(
            "env MODE cannot be decrypted: SLIPWAY_SECRET_KEY differs from the one that sealed it")
        .hasMessageContaining(sealer.keyId())
        .hasMessageContaining(other.keyId())
        .satisfies(
            e -> {
              assertThat(((SealedEnv.UnreadableEnvException) e).name()).isEqualTo("MODE");
              assertThat(e.getMessage()).doesNotContain(CANARY).doesNotContain(sealed.get("MODE"));
            });
  }

  @Test
  @DisplayName("an altered sealed value fails as damaged, without echoing it")
  void altered() {
    SecretBox box = box(3);
    String sealed = SealedEnv.seal(box, CANARY);
    String body = sealed.substring(sealed.lastIndexOf(':') + 1);
    byte[] bytes = Base64.getDecoder().decode(body);
    bytes[bytes.length - 1] ^= 1;
    String altered =
        sealed.substring(0, sealed.lastIndexOf(':') + 1)
            + Base64.getEncoder().encodeToString(bytes);

    assertThatThrownBy(() -> SealedEnv.open(box, "API_KEY", altered))
        .isInstanceOf(SealedEnv.UnreadableEnvException.class)
        .hasMessageContaining("env API_KEY cannot be decrypted")
        .hasMessageContaining("altered")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(CANARY).doesNotContain(body));
    assertThatThrownBy(() -> SealedEnv.open(box, "API_KEY", SealedEnv.PREFIX + "nokeyid"))
        .isInstanceOf(SealedEnv.UnreadableEnvException.class)
        .hasMessageContaining("malformed");
  }

  @Test
  @DisplayName(
      "a plain value (published on Kafka by another program) passes through opening and is"
          + " named as plain")
  void plainPassesThrough() {
    SecretBox box = box(3);
    Map<String, String> env = Map.of("A", "1", "B", SealedEnv.seal(box, "2"));
    assertThat(SealedEnv.open(box, env)).isEqualTo(Map.of("A", "1", "B", "2"));
    assertThat(SealedEnv.plainNames(env)).containsExactly("A");
    assertThat(SealedEnv.keyIdOf("1")).isNull();
  }

  @Test
  @DisplayName(
      "a deploy spec with sealed env survives the JSON round trip sealed, and its toString names"
          + " variables without values")
  void specCarriesSealedEnv() throws Exception {
    SecretBox box = box(3);
    DeploySpec plain =
        SampleEvents.minimalSpec(
            "shop",
            "registry.local/shop:1",
            DeploySpec.Strategy.BLUE_GREEN,
            8080,
            Map.of("DATABASE_URL", CANARY));
    assertThat(plain.toString()).contains("DATABASE_URL").doesNotContain(CANARY);

    DeploySpec sealed = plain.withEnv(SealedEnv.seal(box, plain.env()));
    String json = Json.toString(sealed);
    assertThat(json).doesNotContain(CANARY).contains(SealedEnv.PREFIX);
    DeploySpec back = Json.mapper().readValue(json, DeploySpec.class);
    assertThat(back).isEqualTo(sealed);
    assertThat(SealedEnv.open(box, back.env())).containsEntry("DATABASE_URL", CANARY);
    assertThat(back.withEnv(plain.env())).isEqualTo(plain);
  }

  @Test
  @DisplayName(
      "fingerprints are equal for equal texts under one key, differ across keys, and do not"
          + " contain the text")
  void fingerprint() {
    SecretBox box = box(3);
    assertThat(box.fingerprint(CANARY)).isEqualTo(box.fingerprint(CANARY)).hasSize(64);
    assertThat(box.fingerprint(CANARY)).isNotEqualTo(box.fingerprint(CANARY + "x"));
    assertThat(box(4).fingerprint(CANARY)).isNotEqualTo(box.fingerprint(CANARY));
  }
}
