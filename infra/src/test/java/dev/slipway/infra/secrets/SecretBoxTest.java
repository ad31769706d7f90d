package dev.slipway.infra.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.infra.config.ConfigException;
import dev.slipway.infra.config.Env;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretBoxTest {

  private static final String CANARY = "canary-pässwörd-9f3e";

  private static SecretBox box(int fill) {
    byte[] key = new byte[32];
    java.util.Arrays.fill(key, (byte) fill);
    return new SecretBox(key);
  }

  @Test
  @DisplayName("a sealed secret opens to the same text and its ciphertext does not contain it")
  void roundTrip() {
    SecretBox box = box(7);
    String sealed = box.seal(CANARY);

    assertThat(box.open(sealed)).isEqualTo(CANARY);
    assertThat(sealed).doesNotContain(CANARY);
    assertThat(new String(Base64.getDecoder().decode(sealed), StandardCharsets.ISO_8859_1))
        .doesNotContain("canary");
    // nonce (12) + UTF-8 bytes + tag (16)
    assertThat(Base64.getDecoder().decode(sealed))
        .hasSize(12 + CANARY.getBytes(StandardCharsets.UTF_8).length + 16);
  }

  @Test
  @DisplayName("sealing the same secret twice gives different values (fresh nonce)")
  void freshNonce() {
    SecretBox box = box(7);
    assertThat(box.seal(CANARY)).isNotEqualTo(box.seal(CANARY));
  }

  @Test
  @DisplayName("an altered ciphertext or another key is refused without echoing the value")
  void tamperAndWrongKey() {
    SecretBox box = box(7);
    String sealed = box.seal(CANARY);
    byte[] bytes = Base64.getDecoder().decode(sealed);
    bytes[bytes.length - 1] ^= 1;
    String altered = Base64.getEncoder().encodeToString(bytes);

    assertThatThrownBy(() -> box.open(altered))
        .isInstanceOf(SecretBox.SecretException.class)
        .hasMessageNotContaining(altered);
    assertThatThrownBy(() -> box(8).open(sealed))
        .isInstanceOf(SecretBox.SecretException.class)
        .hasMessageContaining(box(8).keyId());
    assertThatThrownBy(() -> box.open("not base64!")).isInstanceOf(SecretBox.SecretException.class);
    assertThatThrownBy(() -> box.open("c2hvcnQ=")).isInstanceOf(SecretBox.SecretException.class);
  }

  @Test
  @DisplayName("the key id names the key without revealing it, and differs between keys")
  void keyId() {
    assertThat(box(7).keyId()).matches("k-[0-9a-f]{16}").isEqualTo(box(7).keyId());
    assertThat(box(7).keyId()).isNotEqualTo(box(8).keyId());
    assertThat(box(7).toString()).doesNotContain(Base64.getEncoder().encodeToString(new byte[32]));
  }

  @Test
  @DisplayName("without SLIPWAY_SECRET_KEY a key is generated once into the data dir, mode 600")
  void generatedKeyFile(@TempDir Path dataDir) throws Exception {
    SecretBox first = SecretBox.load(new Env(Map.of()), dataDir.resolve("data"));
    Path file = dataDir.resolve("data").resolve(SecretBox.KEY_FILE);

    assertThat(file).exists();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    SecretBox again = SecretBox.load(new Env(Map.of()), dataDir.resolve("data"));
    assertThat(again.keyId()).isEqualTo(first.keyId());
    assertThat(again.open(first.seal(CANARY))).isEqualTo(CANARY);
    try (var files = Files.list(dataDir.resolve("data"))) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  @DisplayName("SLIPWAY_SECRET_KEY wins over the key file; a bad one names the variable")
  void keyFromEnv(@TempDir Path dataDir) {
    byte[] key = new byte[32];
    key[0] = 42;
    String encoded = Base64.getEncoder().encodeToString(key);

    SecretBox box = SecretBox.load(new Env(Map.of(SecretBox.ENV, encoded)), dataDir);
    assertThat(box.keyId()).isEqualTo(new SecretBox(key).keyId());
    assertThat(dataDir.resolve(SecretBox.KEY_FILE)).doesNotExist();

    assertThatThrownBy(
            () ->
                SecretBox.load(
                    new Env(
                        Map.of(SecretBox.ENV, Base64.getEncoder().encodeToString(new byte[16]))),
                    dataDir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(SecretBox.ENV)
        .hasMessageContaining("32 bytes");
    assertThatThrownBy(() -> SecretBox.load(new Env(Map.of(SecretBox.ENV, "%%%")), dataDir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(SecretBox.ENV);
  }
}
