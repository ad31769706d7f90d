package dev.slipway.gateway;

import static dev.slipway.gateway.GatewayFixture.READ_TOKEN;
import static dev.slipway.gateway.GatewayFixture.WRITE_TOKEN;
import static dev.slipway.gateway.GatewayFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.slipway.infra.config.Env;
import dev.slipway.infra.events.CloudEventCodec;
import dev.slipway.infra.events.RegistryCredentialEvent;
import dev.slipway.infra.events.RegistryCredentialEvent.RegistryCredentialStored;
import dev.slipway.infra.events.Topic;
import dev.slipway.infra.secrets.SecretBox;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.LoggerFactory;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Registry credentials through the gateway, on the real Kafka broker and Redis")
class RegistryCredentialsIT {

  private GatewayFixture gw;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @BeforeAll
  void start() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    logs.start();
    root.addAppender(logs);
    gw = new GatewayFixture(GatewayOptions.defaults());
  }

  @AfterAll
  void stop() throws Exception {
    gw.close();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
  }

  @Test
  @DisplayName(
      "PUT creates then replaces, GET lists names without secrets, DELETE removes; the"
          + " canary secret is only ever on Kafka as AES-GCM ciphertext and nowhere else")
  void lifecycleAndSecretNeverLeaks() throws Exception {
    String canary = "canary-" + UUID.randomUUID();
    String tokenCanary = "token-canary-" + UUID.randomUUID();
    List<HttpResponse<String>> responses = new ArrayList<>();

    HttpResponse<String> created =
        gw.putJson(
            "/api/v1/registry-credentials/local",
            WRITE_TOKEN,
            new JsonObject()
                .put("registry", "127.0.0.1:5000")
                .put("username", "ci")
                .put("password", canary)
                .encode());
    responses.add(created);
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(created.headers().firstValue("Location"))
        .hasValue("/api/v1/registry-credentials/local");

    // Listed at once: the store has read its own write back before answering.
    HttpResponse<String> list = gw.get("/api/v1/registry-credentials", READ_TOKEN);
    responses.add(list);
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(json(list).getJsonArray("items").getList())
        .hasSize(1)
        .first()
        .satisfies(
            item -> {
              @SuppressWarnings("unchecked")
              Map<String, Object> m = (Map<String, Object>) item;
              assertThat(m)
                  .containsEntry("name", "local")
                  .containsEntry("registry", "127.0.0.1:5000")
                  .containsEntry("username", "ci")
                  .doesNotContainKeys("password", "token", "secret", "secret_ciphertext");
            });

    HttpResponse<String> replaced =
        gw.putJson(
            "/api/v1/registry-credentials/local",
            WRITE_TOKEN,
            new JsonObject()
                .put("registry", "127.0.0.1:5000")
                .put("username", "ci2")
                .put("token", tokenCanary)
                .encode());
    responses.add(replaced);
    assertThat(replaced.statusCode()).isEqualTo(204);

    HttpResponse<String> other =
        gw.putJson(
            "/api/v1/registry-credentials/ghcr",
            WRITE_TOKEN,
            new JsonObject()
                .put("registry", "ghcr.io")
                .put("username", "bot")
                .put("password", canary)
                .encode());
    responses.add(other);
    assertThat(other.statusCode()).isEqualTo(201);

    // Refusals must not echo the secret either.
    HttpResponse<String> both =
        gw.putJson(
            "/api/v1/registry-credentials/x",
            WRITE_TOKEN,
            new JsonObject()
                .put("registry", "ghcr.io")
                .put("username", "bot")
                .put("password", canary)
                .put("token", canary)
                .encode());
    responses.add(both);
    assertThat(both.statusCode()).isEqualTo(422);
    assertThat(json(both).getString("field")).isEqualTo("token");
    HttpResponse<String> badRegistry =
        gw.putJson(
            "/api/v1/registry-credentials/x",
            WRITE_TOKEN,
            new JsonObject()
                .put("registry", "https://ghcr.io/")
                .put("username", "bot")
                .put("password", canary)
                .encode());
    responses.add(badRegistry);
    assertThat(badRegistry.statusCode()).isEqualTo(400);
    assertThat(json(badRegistry).getString("field")).isEqualTo("registry");
    HttpResponse<String> tooLong =
        gw.putJson(
            "/api/v1/registry-credentials/x",
            WRITE_TOKEN,
            new JsonObject()
                .put("registry", "ghcr.io")
                .put("username", "bot")
                .put("password", canary.repeat(200))
                .encode());
    responses.add(tooLong);
    assertThat(tooLong.statusCode()).isEqualTo(400);
    assertThat(json(tooLong).getString("field")).isEqualTo("password");
    HttpResponse<String> badName =
        gw.putJson(
            "/api/v1/registry-credentials/_x",
            WRITE_TOKEN,
            new JsonObject()
                .put("registry", "ghcr.io")
                .put("username", "b")
                .put("password", canary)
                .encode());
    responses.add(badName);
    assertThat(badName.statusCode()).isEqualTo(400);

    HttpResponse<String> deleted = gw.delete("/api/v1/registry-credentials/ghcr", WRITE_TOKEN);
    responses.add(deleted);
    assertThat(deleted.statusCode()).isEqualTo(204);
    HttpResponse<String> after = gw.get("/api/v1/registry-credentials", READ_TOKEN);
    responses.add(after);
    assertThat(
            json(after).getJsonArray("items").stream().map(o -> ((JsonObject) o).getString("name")))
        .containsExactly("local");
    HttpResponse<String> again = gw.delete("/api/v1/registry-credentials/ghcr", WRITE_TOKEN);
    responses.add(again);
    assertThat(again.statusCode()).isEqualTo(404);

    // Responses.
    for (HttpResponse<String> r : responses) {
      assertThat(r.body()).doesNotContain(canary).doesNotContain(tokenCanary);
      r.headers().map().values().forEach(v -> assertThat(v.toString()).doesNotContain(canary));
    }

    // Kafka: every record of every topic of this installation.
    SecretBox box = SecretBox.load(new Env(Map.of()), gw.dataDir);
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(gw.dataDir.resolve(SecretBox.KEY_FILE))))
        .isEqualTo("rw-------");
    List<String> opened = new ArrayList<>();
    for (var topic : gw.topics.all()) {
      for (ConsumerRecord<String, byte[]> record : GatewayFixture.records(topic.name())) {
        assertNoCanary(record, canary, tokenCanary);
        if (topic.name().equals(gw.topics.registryCredentials().name()) && record.value() != null) {
          @SuppressWarnings("unchecked")
          Topic<RegistryCredentialEvent> t = (Topic<RegistryCredentialEvent>) topic;
          RegistryCredentialStored stored =
              (RegistryCredentialStored) CloudEventCodec.decode(t, record).data();
          assertThat(stored.keyId()).isEqualTo(box.keyId());
          opened.add(box.open(stored.secretCiphertext()));
        }
      }
    }
    assertThat(opened)
        .as("the ciphertexts are the secrets, sealed")
        .containsExactlyInAnyOrder(canary, tokenCanary, canary);
    List<ConsumerRecord<String, byte[]>> credentialRecords =
        GatewayFixture.records(gw.topics.registryCredentials().name());
    assertThat(credentialRecords.stream().filter(r -> "ghcr".equals(r.key())).toList())
        .last()
        .satisfies(r -> assertThat(r.value()).as("the delete is a tombstone").isNull());

    // Redis: every key and value.
    assertNoCanaryInRedis(canary, tokenCanary);

    // Logs of the whole process during the test.
    for (ILoggingEvent event : List.copyOf(logs.list)) {
      assertThat(event.getFormattedMessage()).doesNotContain(canary).doesNotContain(tokenCanary);
    }
  }

  private static void assertNoCanary(ConsumerRecord<String, byte[]> record, String... canaries) {
    List<String> parts = new ArrayList<>();
    parts.add(record.key() == null ? "" : record.key());
    parts.add(record.value() == null ? "" : new String(record.value(), StandardCharsets.UTF_8));
    for (Header h : record.headers()) {
      parts.add(new String(h.value(), StandardCharsets.UTF_8));
    }
    for (String part : parts) {
      for (String canary : canaries) {
        assertThat(part).as(record.topic()).doesNotContain(canary);
      }
    }
  }

  private void assertNoCanaryInRedis(String... canaries) throws Exception {
    String cursor = "0";
    do {
      Response reply = gw.redis(Request.cmd(Command.SCAN).arg(cursor).arg("COUNT").arg(1000));
      cursor = reply.get(0).toString();
      for (Response k : reply.get(1)) {
        String key = k.toString();
        String type = gw.redis(Request.cmd(Command.TYPE).arg(key)).toString();
        Response value =
            switch (type) {
              case "string" -> gw.redis(Request.cmd(Command.GET).arg(key));
              case "hash" -> gw.redis(Request.cmd(Command.HGETALL).arg(key));
              case "stream" -> gw.redis(Request.cmd(Command.XRANGE).arg(key).arg("-").arg("+"));
              case "zset" -> gw.redis(Request.cmd(Command.ZRANGE).arg(key).arg(0).arg(-1));
              case "set" -> gw.redis(Request.cmd(Command.SMEMBERS).arg(key));
              case "list" -> gw.redis(Request.cmd(Command.LRANGE).arg(key).arg(0).arg(-1));
              default -> null;
            };
        for (String canary : canaries) {
          assertThat(key).doesNotContain(canary);
          if (value != null) {
            assertThat(value.toString()).as(key).doesNotContain(canary);
          }
        }
      }
    } while (!cursor.equals("0"));
  }
}
