package dev.slipway.deployer;

import dev.slipway.deployer.engine.ContainerEngine;
import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.events.DeployCommand;
import dev.slipway.infra.events.DeployEvent;
import dev.slipway.infra.events.DeployPhase;
import dev.slipway.infra.redis.DeploymentHash;
import dev.slipway.infra.secrets.CredentialStore.Credential;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Small in-memory stand-ins for the deployer's ports, for unit tests of its state machine. */
final class Fakes {

  private Fakes() {}

  /** An engine of maps: containers get host ports from 40000 up and run until stopped. */
  static final class Engine implements ContainerEngine {
    final Map<String, ContainerInfo> containers = new ConcurrentHashMap<>();
    final Map<String, ContainerSpec> specs = new ConcurrentHashMap<>();
    final Set<String> images = ConcurrentHashMap.newKeySet();
    final List<String> pulls = new CopyOnWriteArrayList<>();
    final List<Credential> pullCredentials = new CopyOnWriteArrayList<>();
    final List<String> calls = new CopyOnWriteArrayList<>();

    /** Every id or name inspected, in order. */
    final List<String> inspected = new CopyOnWriteArrayList<>();

    private final AtomicInteger ids = new AtomicInteger();
    private final AtomicInteger ports = new AtomicInteger(40000);
    volatile String failCreate;
    volatile String failPull;

    /** Images whose containers exit right after they start. */
    final Set<String> crashing = ConcurrentHashMap.newKeySet();

    @Override
    public boolean imagePresent(String image) {
      return images.contains(image);
    }

    @Override
    public void pull(String image, Optional<Credential> credential, Duration timeout) {
      calls.add("pull " + image);
      pulls.add(image);
      credential.ifPresent(pullCredentials::add);
      if (failPull != null) {
        throw new EngineException(failPull);
      }
      images.add(image);
    }

    @Override
    public String create(ContainerSpec spec) {
      calls.add("create " + spec.name());
      if (failCreate != null) {
        throw new EngineException(failCreate);
      }
      if (containers.values().stream().anyMatch(c -> c.name().equals(spec.name()))) {
        throw new EngineException("Conflict. The container name is already in use");
      }
      String id = String.format("%064x", ids.incrementAndGet());
      specs.put(id, spec);
      containers.put(
          id, new ContainerInfo(id, spec.name(), spec.labels(), spec.image(), "created", Map.of()));
      return id;
    }

    @Override
    public void start(String id) {
      calls.add("start " + id);
      ContainerInfo c = get(id);
      ContainerSpec spec = specs.get(id);
      Map<Integer, Integer> published =
          spec != null && spec.port() != null
              ? Map.of(spec.port(), ports.incrementAndGet())
              : Map.of();
      String state = crashing.contains(c.image()) ? "exited" : "running";
      containers.put(id, new ContainerInfo(id, c.name(), c.labels(), c.image(), state, published));
    }

    @Override
    public void stop(String id, Duration timeout) {
      calls.add("stop " + id);
      ContainerInfo c = containers.get(id);
      if (c != null) {
        containers.put(
            id, new ContainerInfo(id, c.name(), c.labels(), c.image(), "exited", Map.of()));
      }
    }

    @Override
    public void remove(String id) {
      calls.add("remove " + id);
      containers.remove(id);
    }

    @Override
    public Optional<ContainerInfo> inspect(String idOrName) {
      inspected.add(idOrName);
      return containers.values().stream()
          .filter(c -> c.id().equals(idOrName) || c.name().equals(idOrName))
          .findFirst();
    }

    @Override
    public List<ContainerInfo> listManaged() {
      return containers.values().stream()
          .filter(c -> Labels.TRUE.equals(c.labels().get(Labels.MANAGED)))
          .toList();
    }

    ContainerInfo get(String id) {
      ContainerInfo c = containers.get(id);
      if (c == null) {
        throw new EngineException("No such container: " + id);
      }
      return c;
    }

    /** A container started behind the deployer's back, e.g. by another installation. */
    String foreign(String app, String deployment) {
      String id = String.format("%064x", 1_000_000 + ids.incrementAndGet());
      containers.put(
          id,
          new ContainerInfo(
              id,
              "foreign-" + id.substring(56),
              Map.of(Labels.MANAGED, "true", Labels.APP, app, Labels.DEPLOYMENT, deployment),
              "other:1",
              "running",
              Map.of(8080, 50000)));
      return id;
    }

    List<ContainerInfo> ofApp(String app) {
      return listApp(app);
    }

    List<ContainerInfo> running(String app) {
      return listApp(app).stream().filter(ContainerInfo::running).toList();
    }
  }

  /** The store in maps, with the same rules as the Redis one. */
  static final class Store implements AppStore {
    final Map<String, AppRecord> apps = new ConcurrentHashMap<>();
    final Set<String> appSet = ConcurrentHashMap.newKeySet();
    final Map<String, Map<Long, RevisionEntry>> revisions = new ConcurrentHashMap<>();
    final Map<String, Map<String, String>> deployments = new ConcurrentHashMap<>();
    final Map<String, String> routes = new ConcurrentHashMap<>();
    final List<EdgeReport> edges = new CopyOnWriteArrayList<>();
    final List<String> routeChanges = new CopyOnWriteArrayList<>();
    long version;

    @Override
    public Future<AppRecord> load(String app) {
      return Future.succeededFuture(apps.get(app));
    }

    @Override
    public Future<Set<String>> apps() {
      return Future.succeededFuture(new HashSet<>(appSet));
    }

    @Override
    public Future<Map<Long, RevisionEntry>> revisions(String app) {
      return Future.succeededFuture(new TreeMap<>(revisions.getOrDefault(app, Map.of())));
    }

    @Override
    public Future<DeploymentRecord> deployment(String id) {
      Map<String, String> d = deployments.get(id);
      if (d == null) {
        return Future.succeededFuture(null);
      }
      String phase = d.get(DeploymentHash.PHASE);
      return Future.succeededFuture(
          new DeploymentRecord(
              id,
              d.get(DeploymentHash.APP),
              d.get(DeploymentHash.KIND),
              null,
              d.get(DeploymentHash.STATUS),
              phase == null ? null : DeployPhase.of(phase),
              "true".equals(d.get(DeploymentHash.ANNOUNCED)),
              d.get(DeploymentHash.BUILD_ID),
              null));
    }

    @Override
    public synchronized Future<Void> begin(Start start) {
      AppRecord app = apps.get(start.app());
      apps.put(
          start.app(),
          app == null
              ? new AppRecord(
                  start.app(),
                  null,
                  0,
                  null,
                  null,
                  null,
                  null,
                  0,
                  true,
                  null,
                  start.deploymentId(),
                  null)
              : with(app, start.deploymentId()));
      appSet.add(start.app());
      Map<String, String> d =
          deployments.computeIfAbsent(start.deploymentId(), k -> new HashMap<>());
      d.put(DeploymentHash.APP, start.app());
      d.put(DeploymentHash.KIND, start.kind());
      d.put(DeploymentHash.STATUS, DeploymentHash.STATUS_RUNNING);
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> phase(String deploymentId, DeployPhase phase) {
      deployments.get(deploymentId).put(DeploymentHash.PHASE, phase.wire());
      return Future.succeededFuture();
    }

    @Override
    public synchronized Future<Void> commit(
        AppRecord live, RevisionEntry newRevision, String deploymentId) {
      AppRecord current = apps.get(live.app());
      apps.put(live.app(), with(live, current == null ? null : current.deploying()));
      appSet.add(live.app());
      if (newRevision != null) {
        revisions
            .computeIfAbsent(live.app(), a -> new TreeMap<>())
            .put(newRevision.revision(), newRevision);
      }
      if (deploymentId != null) {
        deployments.get(deploymentId).put(DeploymentHash.CONTAINER, live.liveContainer());
      }
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> announced(String deploymentId) {
      deployments.get(deploymentId).put(DeploymentHash.ANNOUNCED, "true");
      return Future.succeededFuture();
    }

    @Override
    public synchronized Future<Void> finish(String app, String deploymentId, Outcome outcome) {
      Map<String, String> d = deployments.computeIfAbsent(deploymentId, k -> new HashMap<>());
      d.put(DeploymentHash.STATUS, outcome.status());
      if (outcome.phase() != null) {
        d.put(DeploymentHash.PHASE, outcome.phase().wire());
      }
      if (outcome.reason() != null) {
        d.put(DeploymentHash.REASON, outcome.reason());
      }
      AppRecord current = apps.get(app);
      if (current == null || current.liveRevision() == 0) {
        apps.remove(app);
        appSet.remove(app);
      } else {
        apps.put(app, with(current, null));
      }
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> superseded(
        String app, String deploymentId, String by, String message, Instant requestedAt) {
      Map<String, String> d = deployments.computeIfAbsent(deploymentId, k -> new HashMap<>());
      d.put(DeploymentHash.APP, app);
      d.put(DeploymentHash.STATUS, DeploymentHash.STATUS_SUPERSEDED);
      d.put(DeploymentHash.SUPERSEDED_BY, by);
      return Future.succeededFuture();
    }

    @Override
    public synchronized Future<Long> route(String app, String upstream) {
      if (upstream == null || upstream.isEmpty()) {
        routes.remove(app);
      } else {
        routes.put(app, upstream);
      }
      routeChanges.add(app + "=" + upstream);
      return Future.succeededFuture(++version);
    }

    @Override
    public Future<String> currentRoute(String app) {
      return Future.succeededFuture(routes.get(app));
    }

    @Override
    public Future<List<EdgeReport>> edges() {
      return Future.succeededFuture(List.copyOf(edges));
    }

    @Override
    public synchronized Future<Void> updateLive(
        String app, String containerId, String upstream, String health) {
      AppRecord a = apps.get(app);
      apps.put(
          app,
          new AppRecord(
              a.app(),
              a.spec(),
              a.liveRevision(),
              a.liveDeployment(),
              a.liveColor(),
              containerId,
              upstream,
              a.lastRevision(),
              a.selfHeal(),
              health,
              a.deploying(),
              a.createdAt()));
      return Future.succeededFuture();
    }

    @Override
    public synchronized Future<Void> removeApp(String app) {
      apps.remove(app);
      appSet.remove(app);
      revisions.remove(app);
      routes.remove(app);
      return Future.succeededFuture();
    }

    @Override
    public synchronized Future<Void> restore(AppRecord app, Collection<RevisionEntry> history) {
      apps.put(app.app(), app);
      Map<Long, RevisionEntry> kept = new TreeMap<>();
      history.forEach(r -> kept.put(r.revision(), r));
      revisions.put(app.app(), kept);
      if (app.hasLive()) {
        appSet.add(app.app());
      }
      return Future.succeededFuture();
    }

    String status(String deploymentId) {
      Map<String, String> d = deployments.get(deploymentId);
      return d == null ? null : d.get(DeploymentHash.STATUS);
    }

    String field(String deploymentId, String field) {
      return deployments.getOrDefault(deploymentId, Map.of()).get(field);
    }

    static AppRecord with(AppRecord a, String deploying) {
      return new AppRecord(
          a.app(),
          a.spec(),
          a.liveRevision(),
          a.liveDeployment(),
          a.liveColor(),
          a.liveContainer(),
          a.upstream(),
          a.lastRevision(),
          a.selfHeal(),
          a.health(),
          deploying,
          a.createdAt());
    }
  }

  /** Keeps what was published, in order. */
  static final class Sink implements DeployEventSink {
    final List<DeployEvent> events = new CopyOnWriteArrayList<>();
    final List<DeployCommand> commands = new CopyOnWriteArrayList<>();

    /**
     * Events the broker acknowledges only when the test completes the promise, by {@link #steps}
     * name: a phase's wire name or the event's class name.
     */
    final Map<String, Promise<Void>> held = new ConcurrentHashMap<>();

    @Override
    public Future<Void> publish(DeployEvent event) {
      events.add(event);
      Promise<Void> hold = held.get(step(event));
      return hold != null ? hold.future() : Future.succeededFuture();
    }

    private static String step(DeployEvent e) {
      return e instanceof DeployEvent.DeployPhaseChanged p
          ? p.phase().wire()
          : e.getClass().getSimpleName();
    }

    @Override
    public Future<Void> request(DeployCommand command) {
      commands.add(command);
      return Future.succeededFuture();
    }

    List<String> steps(String deploymentId) {
      List<String> steps = new ArrayList<>();
      for (DeployEvent e : events) {
        if (e.deploymentId().equals(deploymentId)) {
          steps.add(step(e));
        }
      }
      return steps;
    }

    <T extends DeployEvent> List<T> of(Class<T> type) {
      return events.stream().filter(type::isInstance).map(type::cast).toList();
    }
  }

  /**
   * Answers by host port: a port is healthy when the engine's container behind it runs an image the
   * test marked healthy (and that container still runs).
   */
  static final class Probe implements HealthProbe {
    final Engine engine;
    final Set<String> healthyImages = ConcurrentHashMap.newKeySet();
    final AtomicInteger probes = new AtomicInteger();

    Probe(Engine engine) {
      this.engine = engine;
    }

    @Override
    public Future<Result> check(int hostPort, String path, Duration timeout) {
      probes.incrementAndGet();
      Optional<ContainerEngine.ContainerInfo> behind =
          engine.containers.values().stream()
              .filter(c -> c.running() && c.hostPorts().containsValue(hostPort))
              .findFirst();
      if (behind.isEmpty()) {
        return Future.succeededFuture(new Result(false, "connection refused"));
      }
      boolean healthy = healthyImages.contains(behind.get().image());
      return Future.succeededFuture(new Result(healthy, healthy ? "HTTP 200" : "HTTP 404"));
    }
  }
}
