package dev.slipway.infra.secrets;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The environment of a deploy spec as it travels: names in clear, every value sealed.
 *
 * <p>Env values routinely hold secrets ({@code DATABASE_URL} with a password, API keys), so Slipway
 * treats every one as a secret. The gateway seals each value at the API boundary; Kafka records
 * ({@code deploy.requested}, {@code build.requested}, {@code build.succeeded}, {@code
 * deploy.succeeded}) and Redis (the deployer's app, revision and deployment records, the gateway's
 * build requests) only ever hold the sealed text; the deployer opens the values at the moment it
 * creates the container, and nowhere else. Names stay clear so views and diffs can show them.
 *
 * <p>A sealed value is {@value #PREFIX}{@code <key id>:<base64(nonce | ciphertext | tag)>}: the
 * {@link SecretBox} AES-256-GCM text of the value's UTF-8 bytes, led by a recognisable prefix and
 * the {@linkplain SecretBox#keyId() id of the key} that sealed it, so a process holding another key
 * can say so instead of failing obscurely.
 *
 * <p>A value without the prefix is plain text: a spec a program other than the gateway published on
 * Kafka, or one recorded before values were sealed. {@link #open} passes it through unchanged (it
 * was never secret from Kafka); {@link #plainNames} lets the deployer warn about it.
 */
public final class SealedEnv {

  /** What every sealed value starts with. */
  public static final String PREFIX = "sealed:v1:";

  private SealedEnv() {}

  /** Whether {@code value} is a sealed value, by its prefix. */
  public static boolean isSealed(String value) {
    return value != null && value.startsWith(PREFIX);
  }

  /** Seals one value: {@value #PREFIX}{@code <key id>:<ciphertext>}. */
  public static String seal(SecretBox box, String plaintext) {
    Objects.requireNonNull(box, "box");
    Objects.requireNonNull(plaintext, "plaintext");
    return PREFIX + box.keyId() + ":" + box.seal(plaintext);
  }

  /**
   * Every value of {@code env} sealed, names kept, in name order. Every value is sealed, even one
   * that looks sealed: what a client sends is its plain text, and the deployer opens exactly once.
   */
  public static Map<String, String> seal(SecretBox box, Map<String, String> env) {
    Map<String, String> out = new LinkedHashMap<>();
    new TreeMap<>(env).forEach((name, value) -> out.put(name, seal(box, value)));
    return out;
  }

  /**
   * The key id a sealed value names, or {@code null} when {@code value} is not sealed or names
   * none.
   */
  public static String keyIdOf(String value) {
    if (!isSealed(value)) {
      return null;
    }
    int colon = value.indexOf(':', PREFIX.length());
    return colon < 0 ? null : value.substring(PREFIX.length(), colon);
  }

  /**
   * The plain text of one env value: a sealed one opened with {@code box}, any other as it is.
   *
   * @param name the variable's name, for the message when it cannot be opened
   * @throws UnreadableEnvException when a sealed value does not open with {@code box}; the message
   *     names the variable and the keys, never the value
   */
  public static String open(SecretBox box, String name, String value) {
    if (!isSealed(value)) {
      return value;
    }
    String keyId = keyIdOf(value);
    if (keyId == null) {
      throw new UnreadableEnvException(
          name, "env " + name + " cannot be decrypted: the sealed value is malformed");
    }
    if (!keyId.equals(box.keyId())) {
      throw new UnreadableEnvException(
          name,
          "env "
              + name
              + " cannot be decrypted: "
              + SecretBox.ENV
              + " differs from the one that sealed it (sealed with key "
              + keyId
              + ", this process has key "
              + box.keyId()
              + "); give every Slipway process the key that sealed it, or deploy again"
              + " through the gateway so the value is sealed with the current key");
    }
    try {
      return box.open(value.substring(PREFIX.length() + keyId.length() + 1));
    } catch (SecretBox.SecretException e) {
      throw new UnreadableEnvException(
          name,
          "env "
              + name
              + " cannot be decrypted with key "
              + keyId
              + ": the sealed value was altered or is damaged; deploy again through the gateway");
    }
  }

  /**
   * Every value of {@code env} in plain text, for the container's environment only: never log,
   * publish or store the result.
   *
   * @throws UnreadableEnvException for the first variable (in name order) that does not open
   */
  public static Map<String, String> open(SecretBox box, Map<String, String> env) {
    Map<String, String> out = new LinkedHashMap<>();
    new TreeMap<>(env).forEach((name, value) -> out.put(name, open(box, name, value)));
    return out;
  }

  /** The names whose values are not sealed, in name order. */
  public static List<String> plainNames(Map<String, String> env) {
    return new TreeMap<>(env)
        .entrySet().stream().filter(e -> !isSealed(e.getValue())).map(Map.Entry::getKey).toList();
  }

  /**
   * An env value that cannot be opened: sealed with another key, or damaged. The message names the
   * variable and what to do; it never contains the value.
   */
  public static final class UnreadableEnvException extends RuntimeException {

    private final String name;

    public UnreadableEnvException(String name, String message) {
      super(message, null, false, false);
      this.name = name;
    }

    /** The variable that cannot be opened. */
    public String name() {
      return name;
    }
  }
}
