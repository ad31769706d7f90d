package dev.slipway.gateway;

import dev.slipway.infra.secrets.CredentialStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /api/v1/registry-credentials}: secrets go in and never come out. Nothing here logs, echoes
 * or stores the secret in plain text; the store seals it before it reaches Kafka.
 */
final class CredentialsApi {

  private static final Logger log = LoggerFactory.getLogger(CredentialsApi.class);
  static final String BASE = "/api/v1/registry-credentials/";

  private final CredentialStore store;

  CredentialsApi(CredentialStore store) {
    this.store = store;
  }

  Future<Void> put(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    JsonObject body = ctx.body().asJsonObject();
    String registry = body.getString("registry");
    String username = body.getString("username");
    String password = body.getString("password");
    String token = body.getString("token");
    if (password != null && token != null) {
      return Future.failedFuture(
          Problem.unprocessable("token", "give either password or token, not both").exception());
    }
    if (password == null && token == null) {
      return Future.failedFuture(
          Problem.unprocessable("password", "is required (or give token instead)").exception());
    }
    if (username.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      return Future.failedFuture(
          Problem.unprocessable("username", "must not contain control characters").exception());
    }
    String secret = password != null ? password : token;
    return store
        .put(name, registry, username, secret)
        .recover(
            e -> {
              log.warn(
                  "registry credential not stored name={} error=\"{}\"",
                  name,
                  e.getClass().getSimpleName());
              return Future.failedFuture(
                  Problem.unavailable("Kafka did not accept the credential in time; retry")
                      .exception());
            })
        .compose(
            created -> {
              log.info(
                  "registry credential stored name={} registry={} created={}",
                  name,
                  registry,
                  created);
              if (created) {
                return ctx.response().setStatusCode(201).putHeader("Location", BASE + name).end();
              }
              return ctx.response().setStatusCode(204).end();
            });
  }

  Future<Void> list(RoutingContext ctx) {
    JsonArray items = new JsonArray();
    for (CredentialStore.Summary s : store.list()) {
      JsonObject item =
          new JsonObject()
              .put("name", s.name())
              .put("registry", s.registry())
              .put("username", s.username());
      if (s.updatedAt() != null) {
        item.put("updated_at", s.updatedAt().toString());
      }
      items.add(item);
    }
    return ctx.response()
        .putHeader("content-type", "application/json")
        .end(new JsonObject().put("items", items).encode());
  }

  Future<Void> delete(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    return store
        .delete(name)
        .recover(
            e ->
                Future.failedFuture(
                    Problem.unavailable("Kafka did not accept the delete in time; retry")
                        .exception()))
        .compose(
            deleted -> {
              if (!deleted) {
                return Future.failedFuture(
                    Problem.notFound("no registry credential " + name).exception());
              }
              log.info("registry credential deleted name={}", name);
              return ctx.response().setStatusCode(204).end();
            });
  }
}
