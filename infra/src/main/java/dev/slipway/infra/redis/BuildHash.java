package dev.slipway.infra.redis;

/**
 * Field names of the build projection hash {@link RedisKeys#build(String)}, written by the
 * reconciler and read by the gateway. Times are ISO-8601 strings, lists JSON arrays.
 */
public final class BuildHash {

  public static final String ID = "id";

  /** queued, running, succeeded, failed or cancelled. */
  public static final String STATUS = "status";

  /** clone, build or push; absent before the first phase. */
  public static final String PHASE = "phase";

  public static final String REPOSITORY = "repository";
  public static final String REF = "ref";
  public static final String CONTEXT = "context";
  public static final String DOCKERFILE = "dockerfile";
  public static final String IMAGE = "image";

  /** JSON array of tags. */
  public static final String TAGS = "tags";

  public static final String PUSH = "push";
  public static final String COMMIT_SHA = "commit_sha";
  public static final String IMAGE_ID = "image_id";
  public static final String DIGEST = "digest";

  /** The failure reason code (BuildFailureReason wire name). */
  public static final String REASON = "reason";

  /** What went wrong, for a person. */
  public static final String MESSAGE = "message";

  public static final String BUILDER = "builder";
  public static final String ATTEMPT = "attempt";
  public static final String REQUESTED_AT = "requested_at";
  public static final String QUEUED_AT = "queued_at";
  public static final String STARTED_AT = "started_at";
  public static final String FINISHED_AT = "finished_at";
  public static final String UPDATED_AT = "updated_at";

  /** The highest log sequence number appended to the log stream. */
  public static final String LAST_SEQ = "last_seq";

  /**
   * When the build's log stream is (or was) removed, epoch ms: the build's end plus the log
   * retention. Absent while the build runs, or when logs are kept for good.
   */
  public static final String LOG_EXPIRES_AT = "log_expires_at";

  /** JSON of the deploy spec to run on success, when one was given. */
  public static final String DEPLOY = "deploy";

  /**
   * Entry fields of the log stream {@link RedisKeys#buildLog(String)}. A {@code log} entry holds a
   * run of lines in seq order ({@link #FIRST} to {@link #LAST}) in {@link #LINES}: one JSON object
   * per line ({@code {"seq":…,"time":…,"stream":…,"text":…}}, exactly the data of the API's {@code
   * log} event), separated by {@code \n}, which JSON text never holds unescaped. {@code phase} and
   * {@code status} entries hold one change each.
   */
  public static final class Log {
    /** log, phase or status. */
    public static final String TYPE = "type";

    /** The seq of a log entry's first line. */
    public static final String FIRST = "first";

    /** The seq of a log entry's last line. */
    public static final String LAST = "last";

    /** A log entry's lines, one JSON object each, separated by {@code \n}. */
    public static final String LINES = "lines";

    public static final String TIME = "time";
    public static final String PHASE = "phase";
    public static final String STATUS = "status";
    public static final String REASON = "reason";
    public static final String MESSAGE = "message";

    private Log() {}
  }

  private BuildHash() {}
}
