package dev.slipway.infra.validation;

import dev.slipway.infra.events.DeploySpec;
import java.util.ArrayList;
import java.util.List;

/**
 * What a deploy spec must look like before a container is created from it: the gateway runs these
 * rules before it publishes a deploy, so a spec that cannot work is refused with the field at fault
 * instead of failing later in the deployer. The same checks guard the {@code deploy} of a build
 * request ({@link BuildRequestRules}).
 */
public final class DeployRequestRules {

  /** The longest health-check duration a spec may ask for: an hour. */
  public static final long MAX_DURATION_SECONDS = 3600;

  /** Every violation of {@code spec}, fields named as in the deploy request body. */
  public List<Violation> check(DeploySpec spec) {
    List<Violation> out = new ArrayList<>();
    BuildRequestRules.checkDeploy(spec, "", out);
    DeploySpec.HealthSpec health = spec.health();
    if (health != null) {
      checkDuration("health.interval", health.interval(), out);
      checkDuration("health.timeout", health.timeout(), out);
      checkDuration("health.start_period", health.startPeriod(), out);
      checkDuration("health.deploy_timeout", health.deployTimeout(), out);
      if (health.path() != null && health.path().chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
        out.add(new Violation("health.path", "must be a URL path without spaces or controls"));
      }
    }
    if (spec.resources() != null && spec.resources().memory() != null) {
      Long bytes = spec.resources().memoryBytes();
      // The engine refuses limits under 6 MiB; say so before a container is created.
      if (bytes != null && bytes < 6L * 1024 * 1024) {
        out.add(new Violation("resources.memory", "must be at least 6m (the engine's minimum)"));
      }
    }
    return List.copyOf(out);
  }

  private static void checkDuration(String field, String text, List<Violation> out) {
    if (text == null) {
      return;
    }
    try {
      var d = DeploySpec.HealthSpec.parseDuration(text);
      if (d.isZero() && !field.equals("health.start_period")) {
        out.add(new Violation(field, "must be longer than 0"));
      } else if (d.toSeconds() > MAX_DURATION_SECONDS) {
        out.add(new Violation(field, "must be at most 1h"));
      }
    } catch (IllegalArgumentException e) {
      out.add(new Violation(field, e.getMessage()));
    }
  }
}
