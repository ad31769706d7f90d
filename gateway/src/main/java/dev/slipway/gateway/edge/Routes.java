package dev.slipway.gateway.edge;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One immutable version of the route table: app name to upstream, and the routes version it was
 * read at (the table is at least as new as that version, see {@link RouteTable}).
 */
public final class Routes {

  /** Before the first load. */
  public static final Routes EMPTY = new Routes(0, Map.of());

  private final long version;
  private final Map<String, Upstream> byApp;
  private final Set<Upstream> upstreams;

  public Routes(long version, Map<String, Upstream> byApp) {
    this.version = version;
    this.byApp = Map.copyOf(byApp);
    this.upstreams = Set.copyOf(byApp.values());
  }

  public long version() {
    return version;
  }

  public Map<String, Upstream> byApp() {
    return byApp;
  }

  /** The app's upstream, or {@code null} when the app has no route. */
  public Upstream upstream(String app) {
    return byApp.get(app);
  }

  /** Every upstream some app routes to. */
  public Set<Upstream> upstreams() {
    return upstreams;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Routes other && version == other.version && byApp.equals(other.byApp);
  }

  @Override
  public int hashCode() {
    return Objects.hash(version, byApp);
  }

  @Override
  public String toString() {
    return "Routes[version=" + version + ", " + byApp + "]";
  }
}
