package dev.slipway.gateway;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A call to the REST API as a client with a bearer token makes it, for the end-to-end tests. */
final class ApiRequests {

  private ApiRequests() {}

  /** {@code method uri} with {@code body} as JSON when given; answers within 20 s. */
  static HttpResponse<String> send(
      HttpClient http, URI uri, String token, String method, JsonObject body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(20))
            .header("Authorization", "Bearer " + token);
    if (body == null) {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      request
          .header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(body.encode()));
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
