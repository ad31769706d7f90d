package dev.slipway.gateway;

import dev.slipway.infra.validation.Violation;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * RFC 9457 problem details: every error the API returns has this shape. {@code field} names the
 * input at fault when there is one; {@code errors} lists every violation when there are several.
 */
public record Problem(
    int status, String title, String detail, String field, List<Violation> errors) {

  public static final String CONTENT_TYPE = "application/problem+json";

  public Problem {
    errors = errors == null ? List.of() : List.copyOf(errors);
  }

  public Problem(int status, String title, String detail, String field) {
    this(status, title, detail, field, List.of());
  }

  public static Problem badRequest(String field, String detail) {
    return new Problem(400, "Bad Request", detail, field);
  }

  /** Well-formed but not acceptable: every violation listed, the first one named in field. */
  public static Problem unprocessable(List<Violation> violations) {
    Violation first = violations.get(0);
    return new Problem(
        422,
        "Unprocessable Content",
        first.field() + ": " + first.message(),
        first.field(),
        violations);
  }

  public static Problem unprocessable(String field, String detail) {
    return new Problem(422, "Unprocessable Content", detail, field);
  }

  public static Problem notFound(String detail) {
    return new Problem(404, "Not Found", detail, null);
  }

  public static Problem gone(String detail) {
    return new Problem(410, "Gone", detail, null);
  }

  public static Problem conflict(String detail) {
    return new Problem(409, "Conflict", detail, null);
  }

  public static Problem unavailable(String detail) {
    return new Problem(503, "Service Unavailable", detail, null);
  }

  /** The problem as an exception, to fail a Future with. */
  public ProblemException exception() {
    return new ProblemException(this);
  }

  public JsonObject toJson() {
    JsonObject json =
        new JsonObject().put("type", "about:blank").put("title", title).put("status", status);
    if (detail != null) {
      json.put("detail", detail);
    }
    if (field != null) {
      json.put("field", field);
    }
    if (errors.size() > 1) {
      JsonArray list = new JsonArray();
      errors.forEach(
          v -> list.add(new JsonObject().put("field", v.field()).put("detail", v.message())));
      json.put("errors", list);
    }
    return json;
  }

  public Future<Void> send(HttpServerResponse response) {
    if (response.headWritten()) {
      // A stream already under way cannot turn into a problem: cut it, the client sees an error.
      response.reset();
      return Future.succeededFuture();
    }
    return response
        .setStatusCode(status)
        .putHeader("content-type", CONTENT_TYPE)
        .end(toJson().encode());
  }

  /** Fails a request's Future with a problem for the client, not a server error. */
  public static final class ProblemException extends RuntimeException {
    private final Problem problem;

    ProblemException(Problem problem) {
      super(problem.status() + " " + problem.detail(), null, false, false);
      this.problem = problem;
    }

    public Problem problem() {
      return problem;
    }
  }
}
