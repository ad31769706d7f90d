package dev.slipway.gateway;

import static dev.slipway.gateway.GatewayFixture.READ_TOKEN;
import static dev.slipway.gateway.GatewayFixture.WRITE_TOKEN;
import static dev.slipway.gateway.GatewayFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The container projection as the reconciler writes it, read through the API from real Redis. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Containers API on the real Redis projection")
class ContainersApiIT {

  private GatewayFixture gw;
  private Projection projection;

  @BeforeAll
  void start() throws Exception {
    gw = new GatewayFixture(GatewayOptions.defaults());
    projection = new Projection(gw);
  }

  @AfterAll
  void stop() throws Exception {
    gw.close();
  }

  private static String app() {
    return "app-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static List<JsonObject> items(HttpResponse<String> response) {
    JsonArray items = json(response).getJsonArray("items");
    return items.stream().map(JsonObject.class::cast).toList();
  }

  @Test
  @DisplayName(
      "the list shows every managed container by app then name, with ports as JSON, and filters"
          + " by app and state")
  void listAndFilter() throws Exception {
    String web = app();
    String worker = app();
    String webRunning = Projection.containerId();
    String webExited = Projection.containerId();
    String workerRunning = Projection.containerId();
    projection.container(webRunning, web, "slipway-" + web + "-3-blue", "running", 49153);
    projection.container(webExited, web, "slipway-" + web + "-2-green", "exited", 0);
    projection.container(workerRunning, worker, "slipway-" + worker + "-1-blue", "running", 0);

    HttpResponse<String> all = gw.get("/api/v1/containers", READ_TOKEN);
    assertThat(all.statusCode()).isEqualTo(200);
    assertThat(all.headers().firstValue("content-type")).hasValue("application/json");
    List<JsonObject> listed = items(all);
    assertThat(listed)
        .extracting(c -> c.getString("id"))
        .contains(webRunning, webExited, workerRunning);
    List<String> order =
        listed.stream().map(c -> c.getString("app") + "/" + c.getString("name")).toList();
    assertThat(order).isSorted();

    List<JsonObject> webOnly = items(gw.get("/api/v1/containers?app=" + web, READ_TOKEN));
    assertThat(webOnly).extracting(c -> c.getString("id")).containsExactly(webExited, webRunning);
    JsonObject running = webOnly.get(1);
    assertThat(running.getString("state")).isEqualTo("running");
    assertThat(running.getString("name")).isEqualTo("slipway-" + web + "-3-blue");
    assertThat(running.getString("color")).isEqualTo("blue");
    assertThat(running.getJsonArray("ports")).hasSize(1);
    JsonObject port = running.getJsonArray("ports").getJsonObject(0);
    assertThat(port.getInteger("host_port")).isEqualTo(49153);
    assertThat(port.getString("host_ip")).isEqualTo("127.0.0.1");
    assertThat(port.getInteger("container_port")).isEqualTo(8080);
    assertThat(running.getJsonObject("links").getString("self"))
        .isEqualTo("/api/v1/containers/" + webRunning);
    JsonObject exited = webOnly.get(0);
    assertThat(exited.getJsonArray("ports")).isEmpty();
    assertThat(exited.getInteger("exit_code")).isEqualTo(137);

    assertThat(items(gw.get("/api/v1/containers?app=" + web + "&state=running", READ_TOKEN)))
        .extracting(c -> c.getString("id"))
        .containsExactly(webRunning);
    assertThat(items(gw.get("/api/v1/containers?state=exited", WRITE_TOKEN)))
        .extracting(c -> c.getString("id"))
        .contains(webExited)
        .doesNotContain(webRunning, workerRunning);
    assertThat(items(gw.get("/api/v1/containers?app=nobody-" + web, READ_TOKEN))).isEmpty();

    HttpResponse<String> badState = gw.get("/api/v1/containers?state=sleeping", READ_TOKEN);
    assertThat(badState.statusCode()).isEqualTo(400);
    assertThat(badState.headers().firstValue("content-type")).hasValue("application/problem+json");
    assertThat(json(badState).getString("field")).isEqualTo("state");
  }

  @Test
  @DisplayName(
      "one container is found by its id or a unique short id; an unknown one is a 404 problem;"
          + " no token is a 401")
  void getOne() throws Exception {
    String app = app();
    String id = Projection.containerId();
    projection.container(id, app, "slipway-" + app + "-1-blue", "running", 49200);

    HttpResponse<String> byId = gw.get("/api/v1/containers/" + id, READ_TOKEN);
    assertThat(byId.statusCode()).isEqualTo(200);
    JsonObject view = json(byId);
    assertThat(view.getString("id")).isEqualTo(id);
    assertThat(view.getString("app")).isEqualTo(app);
    assertThat(view.getString("color")).isEqualTo("blue");
    assertThat(view.getString("revision")).isEqualTo("3");
    assertThat(view.getString("image")).isEqualTo("registry.local/" + app + ":3");
    assertThat(view.getJsonArray("ports").getJsonObject(0).getInteger("host_port"))
        .isEqualTo(49200);
    assertThat(view.getInteger("restart_count")).isZero();

    HttpResponse<String> byShortId =
        gw.get("/api/v1/containers/" + id.substring(0, 12), READ_TOKEN);
    assertThat(byShortId.statusCode()).isEqualTo(200);
    assertThat(json(byShortId).getString("id")).isEqualTo(id);

    HttpResponse<String> unknown =
        gw.get("/api/v1/containers/" + Projection.containerId(), READ_TOKEN);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.headers().firstValue("content-type")).hasValue("application/problem+json");
    assertThat(json(unknown).getString("detail")).contains("no managed container");

    HttpResponse<String> anonymous = gw.get("/api/v1/containers/" + id, null);
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.headers().firstValue("WWW-Authenticate")).isPresent();
    assertThat(gw.get("/api/v1/containers", null).statusCode()).isEqualTo(401);
    assertThat(
            gw.get("/api/v1/containers/" + id + "?access_token=" + READ_TOKEN, null).statusCode())
        .as("only event streams take the token as a query parameter")
        .isEqualTo(401);
  }
}
