package dev.slipway.infra.secrets;

import dev.slipway.infra.config.ConfigException;
import dev.slipway.infra.config.Env;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals secrets with AES-256-GCM so they can travel through Kafka (the compacted credentials topic)
 * without anyone but a holder of the key reading them.
 *
 * <p>A sealed value is {@code base64(nonce | ciphertext | tag)} with a fresh random 12-byte nonce
 * per seal, so sealing the same secret twice gives two different values. {@link #keyId()} names the
 * key (a hash of it, never the key), so records can say which key sealed them and keys can rotate.
 *
 * <p>The key comes from {@value #ENV} (base64 of 32 bytes) when set; otherwise it is generated once
 * into {@code <data dir>/secret.key} (mode 600) and reused, so a single-node install keeps reading
 * what it sealed before a restart. Every process that opens secrets must see the same key.
 */
public final class SecretBox {

  /** The environment variable holding the key: base64 of 32 random bytes. */
  public static final String ENV = "SLIPWAY_SECRET_KEY";

  /** The key file in the data dir when {@value #ENV} is unset. */
  public static final String KEY_FILE = "secret.key";

  private static final int KEY_BYTES = 32;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec key;
  private final SecretKeySpec macKey;
  private final String keyId;

  /** A box for a 32-byte AES key. */
  public SecretBox(byte[] key) {
    Objects.requireNonNull(key, "key");
    if (key.length != KEY_BYTES) {
      throw new IllegalArgumentException("an AES-256 key has 32 bytes, not " + key.length);
    }
    this.key = new SecretKeySpec(key.clone(), "AES");
    // A separate key for fingerprints: the AES key itself is used for nothing but AES-GCM.
    this.macKey = new SecretKeySpec(hmac(key, "slipway fingerprint v1"), "HmacSHA256");
    this.keyId = "k-" + HexFormat.of().formatHex(sha256(key), 0, 8);
  }

  /**
   * The installation's box: the key from {@value #ENV}, else from {@code <dataDir>/secret.key},
   * generated there on first use.
   *
   * @throws ConfigException when {@value #ENV} is not base64 of 32 bytes
   */
  public static SecretBox load(Env env, Path dataDir) {
    return env.optional(ENV).map(SecretBox::fromBase64).orElseGet(() -> fromFile(dataDir));
  }

  private static SecretBox fromBase64(String encoded) {
    byte[] key;
    try {
      key = Base64.getDecoder().decode(encoded.trim());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(ENV, "is not base64; generate one with: openssl rand -base64 32");
    }
    if (key.length != KEY_BYTES) {
      throw new ConfigException(
          ENV,
          "must be base64 of 32 bytes, not "
              + key.length
              + "; generate one with: openssl rand -base64 32");
    }
    return new SecretBox(key);
  }

  /** The key in {@code <dataDir>/secret.key}, created (mode 600) when there is none yet. */
  static SecretBox fromFile(Path dataDir) {
    Path file = dataDir.resolve(KEY_FILE);
    try {
      if (!Files.exists(file)) {
        Files.createDirectories(dataDir);
        byte[] key = new byte[KEY_BYTES];
        RANDOM.nextBytes(key);
        // Written aside with mode 600 and linked into place: a concurrent starter never reads a
        // half-written key, the key is never readable by others, and a link (unlike a rename)
        // never replaces a key another process already put there.
        Path temp =
            Files.createTempFile(
                dataDir,
                ".secret-",
                ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
          Files.writeString(temp, Base64.getEncoder().encodeToString(key) + "\n");
          Files.createLink(file, temp);
        } catch (FileAlreadyExistsException raced) {
          // Another process created it first: use theirs.
        } finally {
          Files.deleteIfExists(temp);
        }
      }
      String encoded = Files.readString(file, StandardCharsets.US_ASCII).trim();
      byte[] key;
      try {
        key = Base64.getDecoder().decode(encoded);
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(file + " is not base64 of a 32-byte key");
      }
      if (key.length != KEY_BYTES) {
        throw new IllegalStateException(file + " does not hold a 32-byte key");
      }
      return new SecretBox(key);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep the secret key in " + file, e);
    }
  }

  /** Names the key: {@code k-} and 16 hex digits of its SHA-256, which reveal nothing of it. */
  public String keyId() {
    return keyId;
  }

  /** {@code base64(nonce | ciphertext | tag)} of {@code plaintext}'s UTF-8 bytes. */
  public String seal(String plaintext) {
    Objects.requireNonNull(plaintext, "plaintext");
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    byte[] plain = plaintext.getBytes(StandardCharsets.UTF_8);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      byte[] sealed = cipher.doFinal(plain);
      byte[] out = new byte[NONCE_BYTES + sealed.length];
      System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
      System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
      return Base64.getEncoder().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }

  /**
   * The plaintext of a value {@link #seal} made with this key.
   *
   * @throws SecretException when the value is not base64, was sealed with another key, or was
   *     altered; the message never contains the value
   */
  public String open(String sealed) {
    Objects.requireNonNull(sealed, "sealed");
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(sealed);
    } catch (IllegalArgumentException e) {
      throw new SecretException("sealed value is not base64");
    }
    if (bytes.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new SecretException("sealed value is too short to be an AES-GCM nonce and ciphertext");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, bytes, 0, NONCE_BYTES));
      byte[] plain = cipher.doFinal(bytes, NONCE_BYTES, bytes.length - NONCE_BYTES);
      try {
        return new String(plain, StandardCharsets.UTF_8);
      } finally {
        Arrays.fill(plain, (byte) 0);
      }
    } catch (javax.crypto.AEADBadTagException e) {
      throw new SecretException(
          "sealed value does not open with key "
              + keyId
              + ": another key sealed it, or it was altered");
    } catch (GeneralSecurityException e) {
      throw new SecretException("sealed value cannot be opened: " + e.getClass().getSimpleName());
    }
  }

  /**
   * A keyed fingerprint of {@code text}: hex HMAC-SHA256 under a key derived from this box's key.
   * Equal texts give equal fingerprints with one key, so two requests can be compared without
   * keeping either; without the key a fingerprint cannot be checked against guesses, as a plain
   * hash of a short secret could.
   */
  public String fingerprint(String text) {
    Objects.requireNonNull(text, "text");
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(macKey);
      return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available", e);
    }
  }

  private static byte[] hmac(byte[] key, String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available", e);
    }
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "SecretBox[keyId=" + keyId + "]";
  }

  /** A sealed value that cannot be opened; the message never contains the value or the key. */
  public static final class SecretException extends RuntimeException {
    public SecretException(String message) {
      super(message);
    }
  }
}
