package dev.slipway.reconciler.containers;

import dev.slipway.infra.redis.AppHash;
import java.util.Map;

/**
 * An app's desired state as the deployer wrote it in {@code app:<name>} ({@link AppHash}).
 *
 * @param image the image the app should run, {@code null} when unset
 * @param liveContainer the id of the container that should serve it, {@code null} when none
 */
public record AppState(
    String name,
    String image,
    String liveContainer,
    String liveColor,
    boolean selfHeal,
    boolean deployInFlight) {

  /** Reads the hash; {@code null} for an empty one. */
  public static AppState fromHash(String name, Map<String, String> hash) {
    if (hash == null || hash.isEmpty()) {
      return null;
    }
    return new AppState(
        name,
        blankToNull(hash.get(AppHash.IMAGE)),
        blankToNull(hash.get(AppHash.LIVE_CONTAINER)),
        blankToNull(hash.get(AppHash.LIVE_COLOR)),
        AppHash.TRUE.equals(hash.get(AppHash.SELF_HEAL)),
        AppHash.TRUE.equals(hash.get(AppHash.DEPLOY_IN_FLIGHT)));
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }
}
