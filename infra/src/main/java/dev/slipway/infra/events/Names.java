package dev.slipway.infra.events;

import java.util.regex.Pattern;

/**
 * The shapes of the names and ids events carry. The gateway validates input against these before
 * publishing; the JSON Schemas use the same regular expressions.
 */
public final class Names {

  /**
   * Build, deployment and registry credential ids: safe in Redis keys, Docker labels and URLs
   * without escaping.
   */
  public static final String ID_REGEX = "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$";

  /** App names: a DNS label, because an app answers at {@code <app>.<domain>}. */
  public static final String APP_REGEX = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$";

  /** Docker container ids: the short (12) or full (64) hex form. */
  public static final String CONTAINER_ID_REGEX = "^[a-f0-9]{12,64}$";

  private static final Pattern ID = Pattern.compile(ID_REGEX);
  private static final Pattern APP = Pattern.compile(APP_REGEX);

  private Names() {}

  public static boolean isValidId(String id) {
    return id != null && ID.matcher(id).matches();
  }

  public static boolean isValidApp(String app) {
    return app != null && APP.matcher(app).matches();
  }
}
