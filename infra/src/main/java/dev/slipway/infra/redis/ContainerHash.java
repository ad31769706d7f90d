package dev.slipway.infra.redis;

/**
 * Field names of the container projection hash {@link RedisKeys#container(String)} (one per managed
 * container, ids in the set {@link RedisKeys#containers()}), written by the reconciler and read by
 * the gateway. The reconciler writes each entry whole, so a field that is absent is unknown or does
 * not apply (e.g. {@code finished_at} of a container that never stopped). Times are ISO-8601
 * strings.
 */
public final class ContainerHash {

  /** The full container id. */
  public static final String ID = "id";

  /** The container name, without the leading slash. */
  public static final String NAME = "name";

  /** The {@code dev.slipway.app} label. */
  public static final String APP = "app";

  /** The {@code dev.slipway.role} label. */
  public static final String ROLE = "role";

  /** The {@code dev.slipway.color} label: blue or green. */
  public static final String COLOR = "color";

  /** The {@code dev.slipway.revision} label. */
  public static final String REVISION = "revision";

  /** The {@code dev.slipway.deployment} label. */
  public static final String DEPLOYMENT = "deployment";

  /** The image reference the container was created from. */
  public static final String IMAGE = "image";

  /** The id ({@code sha256:...}) of the image the container runs. */
  public static final String IMAGE_ID = "image_id";

  /** created, running, restarting, paused, removing, exited, dead, or {@value #MISSING}. */
  public static final String STATE = "state";

  /** none, starting, healthy or unhealthy. */
  public static final String HEALTH = "health";

  /**
   * JSON array of published ports, e.g. {@code
   * [{"container_port":8080,"protocol":"tcp","host_ip":"127.0.0.1","host_port":49153}]}; {@code []}
   * when none (a stopped container publishes none).
   */
  public static final String PORTS = "ports";

  public static final String STARTED_AT = "started_at";
  public static final String FINISHED_AT = "finished_at";

  /** The exit code of the last run; present once the container has stopped at least once. */
  public static final String EXIT_CODE = "exit_code";

  /** How often the engine restarted the container (restart policy). */
  public static final String RESTART_COUNT = "restart_count";

  /** The last engine event seen, e.g. {@code die} or {@code health_status: healthy}. */
  public static final String LAST_EVENT = "last_event";

  public static final String LAST_EVENT_AT = "last_event_at";

  /** When the reconciler last changed the entry. */
  public static final String UPDATED_AT = "updated_at";

  /** When the reconciler found the container gone; present only in state {@value #MISSING}. */
  public static final String MISSING_SINCE = "missing_since";

  /** The {@link #STATE} of a container gone from the engine; the entry is removed later. */
  public static final String MISSING = "missing";

  /** The {@link #HEALTH} of a container without a health check. */
  public static final String HEALTH_NONE = "none";

  /** Keys of one element of the {@link #PORTS} JSON array. */
  public static final class Port {
    public static final String CONTAINER_PORT = "container_port";

    /** tcp, udp or sctp. */
    public static final String PROTOCOL = "protocol";

    public static final String HOST_IP = "host_ip";
    public static final String HOST_PORT = "host_port";

    private Port() {}
  }

  /**
   * Fields of the container entries the reconciler appends to the change feed {@link
   * RedisKeys#feed()}: one entry per event it publishes on {@code slipway.container.events}.
   */
  public static final class Feed {
    /** {@value #KIND_CONTAINER} for every container entry. */
    public static final String KIND = "kind";

    public static final String KIND_CONTAINER = "container";

    /** The container id; absent on a drift entry that concerns no container. */
    public static final String ID = "id";

    /** The app, absent for a managed container without an app label. */
    public static final String APP = "app";

    public static final String STATE = "state";
    public static final String HEALTH = "health";

    /** The CloudEvents type of the event published, e.g. {@code dev.slipway.container.drift}. */
    public static final String EVENT = "event";

    /** The engine event behind the change, e.g. {@code die}; absent when a resync found it. */
    public static final String DOCKER_EVENT = "docker_event";

    /** On a drift entry: missing, stopped, image_differs or unexpected. */
    public static final String DRIFT = "drift";

    /** On a drift entry: what the app's desired state calls for. */
    public static final String EXPECTED = "expected";

    /** On a drift entry: what the engine has instead. */
    public static final String FOUND = "found";

    /** When it happened, ISO-8601. */
    public static final String TIME = "time";

    private Feed() {}
  }

  private ContainerHash() {}
}
