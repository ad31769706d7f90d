package dev.slipway.reconciler;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.slipway.infra.events.BuildEvent;
import dev.slipway.infra.events.BuildEvent.BuildCancelled;
import dev.slipway.infra.events.BuildEvent.BuildFailed;
import dev.slipway.infra.events.BuildEvent.BuildPhaseChanged;
import dev.slipway.infra.events.BuildEvent.BuildQueued;
import dev.slipway.infra.events.BuildEvent.BuildStarted;
import dev.slipway.infra.events.BuildEvent.BuildSucceeded;
import dev.slipway.infra.events.BuildLog.BuildLogBatch;
import dev.slipway.infra.events.BuildPhase;
import dev.slipway.infra.events.LogLine;
import dev.slipway.infra.json.IsoInstants;
import dev.slipway.infra.json.Json;
import dev.slipway.infra.redis.BuildHash;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How build events and log batches become changes to the build projection; pure, so the mapping is
 * tested without Redis. The rules that depend on what the projection already holds (monotonic
 * status, phase changes, the closing status entry) live in the Lua scripts of {@link
 * BuildProjectionStore}.
 */
public final class BuildProjection {

  private static final JsonStringEncoder JSON_STRINGS = JsonStringEncoder.getInstance();

  /** Hash field: how many log lines the terminal event said the build published. */
  public static final String LOG_LINES = "log_lines";

  /** Hash field, {@code true} once the log stream has its closing status entry. */
  public static final String LOG_COMPLETE = "log_complete";

  /** Values of {@link BuildHash#STATUS} and of status entries. */
  public static final String QUEUED = "queued";

  public static final String RUNNING = "running";
  public static final String SUCCEEDED = "succeeded";
  public static final String FAILED = "failed";
  public static final String CANCELLED = "cancelled";

  /** Values of {@link BuildHash.Log#TYPE}. */
  public static final String ENTRY_LOG = "log";

  public static final String ENTRY_PHASE = "phase";
  public static final String ENTRY_STATUS = "status";

  /** Feed entry fields and the feed's {@code kind} of build changes. */
  public static final String FEED_KIND = "kind";

  public static final String FEED_KIND_BUILD = "build";
  public static final String FEED_ID = "id";
  public static final String FEED_STATUS = "status";
  public static final String FEED_PHASE = "phase";
  public static final String FEED_TIME = "time";

  private BuildProjection() {}

  /**
   * What one build event changes.
   *
   * @param status the status it moves the build to, or {@code null}; the script never moves a
   *     status backwards
   * @param phase the phase it reports, or {@code null}
   * @param phaseEntry whether a change of phase is shown in the log stream (phase events) or only
   *     recorded in the hash (the phase a failure or cancellation happened in)
   * @param rescore whether the event's time replaces the build's score in the build list (queued),
   *     rather than only setting it when absent
   * @param logLines how many log lines the build published, from a terminal event; {@code null}
   *     when unknown or not terminal
   * @param fields hash fields to set, in order; never null values
   */
  public record Update(
      String buildId,
      String status,
      String phase,
      boolean phaseEntry,
      Instant at,
      boolean rescore,
      Long logLines,
      Map<String, String> fields) {

    public Update {
      Objects.requireNonNull(buildId, "buildId");
      Objects.requireNonNull(at, "at");
      fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** Whether the build is over after this event. */
    public boolean terminal() {
      return SUCCEEDED.equals(status) || FAILED.equals(status) || CANCELLED.equals(status);
    }
  }

  /** The change a build event makes to the projection. */
  public static Update of(BuildEvent event) {
    Fields f = new Fields();
    return switch (event) {
      case BuildQueued e -> {
        f.put(BuildHash.REPOSITORY, e.repository())
            .put(BuildHash.REF, e.ref())
            .put(BuildHash.IMAGE, e.image())
            .put(BuildHash.TAGS, Json.toString(e.tags()))
            .put(BuildHash.QUEUED_AT, time(e.at()));
        yield new Update(e.buildId(), QUEUED, null, false, e.at(), true, null, f.map);
      }
      case BuildStarted e -> {
        f.put(BuildHash.BUILDER, e.builder())
            .put(BuildHash.ATTEMPT, Integer.toString(e.attempt()))
            .put(BuildHash.STARTED_AT, time(e.at()));
        yield new Update(e.buildId(), RUNNING, null, false, e.at(), false, null, f.map);
      }
      case BuildPhaseChanged e ->
          new Update(e.buildId(), null, e.phase().wire(), true, e.at(), false, null, f.map);
      case BuildSucceeded e -> {
        f.put(BuildHash.COMMIT_SHA, e.commitSha())
            .put(BuildHash.IMAGE, e.image())
            .put(BuildHash.IMAGE_ID, e.imageId())
            .put(BuildHash.DIGEST, e.digest())
            .put(BuildHash.TAGS, Json.toString(e.tags()))
            .put(BuildHash.DEPLOY, e.deploy() == null ? null : Json.toString(e.deploy()))
            .put(BuildHash.STARTED_AT, time(e.startedAt()))
            .put(BuildHash.FINISHED_AT, time(e.at()));
        yield new Update(e.buildId(), SUCCEEDED, null, false, e.at(), false, e.logLines(), f.map);
      }
      case BuildFailed e -> {
        f.put(BuildHash.REASON, e.reason().wire())
            .put(BuildHash.MESSAGE, e.message())
            .put(BuildHash.FINISHED_AT, time(e.at()));
        yield new Update(
            e.buildId(), FAILED, wire(e.phase()), false, e.at(), false, e.logLines(), f.map);
      }
      case BuildCancelled e -> {
        f.put(BuildHash.MESSAGE, cancelledMessage(e.phase()))
            .put(BuildHash.FINISHED_AT, time(e.at()));
        yield new Update(
            e.buildId(), CANCELLED, wire(e.phase()), false, e.at(), false, e.logLines(), f.map);
      }
    };
  }

  /**
   * The arguments the log script takes for a batch: its first seq, its last seq, and its lines as
   * JSON joined by {@code \n} (which a line's JSON never holds). Three arguments however many
   * lines: Redis and its client handle one string, not two per line.
   */
  public static List<String> logArguments(BuildLogBatch batch) {
    List<LogLine> lines = batch.lines();
    StringBuilder json = new StringBuilder(lines.size() * 128);
    for (LogLine line : lines) {
      if (!json.isEmpty()) {
        json.append('\n');
      }
      lineJson(line, json);
    }
    return List.of(
        Long.toString(batch.firstSeq()), Long.toString(batch.lastSeq()), json.toString());
  }

  /**
   * A line as the log stream holds it and the API sends it: {@code
   * {"seq":1,"time":"…","stream":"stdout","text":"…"}}, on one line of text.
   */
  static StringBuilder lineJson(LogLine line, StringBuilder out) {
    out.append("{\"seq\":").append(line.seq()).append(",\"time\":\"");
    out.append(time(line.time())).append("\",\"stream\":\"").append(line.stream().wire());
    out.append("\",\"text\":\"");
    JSON_STRINGS.quoteAsString(line.text(), out);
    return out.append("\"}");
  }

  /**
   * A time as the projection stores it: ISO-8601 UTC with exactly six fraction digits, e.g. {@code
   * 2025-03-01T12:00:05.250000Z}, so that string order is time order.
   */
  public static String time(Instant instant) {
    return IsoInstants.formatMicros(instant);
  }

  static String cancelledMessage(BuildPhase phase) {
    return phase == null
        ? "The build was cancelled before it started."
        : "The build was cancelled during the " + phase.wire() + " phase.";
  }

  private static String wire(BuildPhase phase) {
    return phase == null ? null : phase.wire();
  }

  /** An ordered field map that leaves absent values out instead of storing "null". */
  private static final class Fields {
    final Map<String, String> map = new LinkedHashMap<>();

    Fields put(String field, String value) {
      if (value != null) {
        map.put(field, value);
      }
      return this;
    }
  }
}
