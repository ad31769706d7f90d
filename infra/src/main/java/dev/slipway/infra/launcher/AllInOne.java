package dev.slipway.infra.launcher;

import dev.slipway.infra.config.SlipwayConfig;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Every Slipway service in one JVM, for development and single-node installs: runs each {@link
 * ServiceModule} found on the class path, with the embedded Kafka broker when no bootstrap servers
 * are configured.
 */
public final class AllInOne {

  private AllInOne() {}

  public static void main(String[] args) {
    List<ServiceModule> modules =
        ServiceLoader.load(ServiceModule.class).stream()
            .map(ServiceLoader.Provider::get)
            // The gateway last: it takes traffic once everything behind it is up.
            .sorted(Comparator.comparing(m -> m.servesHealth() ? 1 : 0))
            .toList();
    if (modules.isEmpty()) {
      System.err.println("slipway: no services on the class path");
      System.exit(2);
    }
    ServiceRunner runner = ServiceRunner.main(modules, true);
    SlipwayConfig config = runner.config();
    // The one place a token is printed: to the person who just started the platform.
    System.out.printf(
        """

        Slipway is up.
          API and dashboard  http://127.0.0.1:%d/
          Health             http://127.0.0.1:%d/health
          App traffic        http://<app>.%s:%d/
          Kafka              %s
          API token          %s
        Press Ctrl-C to stop.
        %n""",
        config.httpPort(),
        config.httpPort(),
        config.domain(),
        config.edgePort(),
        config.requireKafka(),
        config.apiTokens().isEmpty() ? "(none)" : config.apiTokens().get(0).token());
  }
}
