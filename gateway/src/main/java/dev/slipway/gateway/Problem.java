package dev.slipway.gateway;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/** RFC 9457 problem details: every error the API returns has this shape. */
public record Problem(int status, String title, String detail, String field) {

  public static final String CONTENT_TYPE = "application/problem+json";

  public JsonObject toJson() {
    JsonObject json =
        new JsonObject().put("type", "about:blank").put("title", title).put("status", status);
    if (detail != null) {
      json.put("detail", detail);
    }
    if (field != null) {
      json.put("field", field);
    }
    return json;
  }

  public Future<Void> send(HttpServerResponse response) {
    return response
        .setStatusCode(status)
        .putHeader("content-type", CONTENT_TYPE)
        .end(toJson().encode());
  }
}
