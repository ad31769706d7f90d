package dev.slipway.infra.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.infra.events.RegistryCredentialEvent;
import dev.slipway.infra.events.Topic;
import dev.slipway.infra.events.Topics;
import dev.slipway.infra.kafka.EventPublisher;
import dev.slipway.infra.secrets.CredentialStore.Credential;
import dev.slipway.infra.testing.KafkaBroker;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The credential store on the real Kafka broker")
class CredentialStoreIT {

  private static final String CANARY = "canary-secret-3b7d1e";

  private Vertx vertx;
  private EventPublisher publisher;
  private final List<CredentialStore> stores = new ArrayList<>();
  private final SecretBox box = new SecretBox(new byte[32]);

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    publisher = new EventPublisher(vertx, KafkaBroker.bootstrapServers(), "/test/creds", "t");
  }

  @AfterEach
  void tearDown() throws Exception {
    stores.forEach(CredentialStore::close);
    publisher.close();
    vertx.close().await(20, TimeUnit.SECONDS);
  }

  private CredentialStore start(Topic<RegistryCredentialEvent> topic) throws Exception {
    CredentialStore store =
        new CredentialStore(
            vertx, KafkaBroker.bootstrapServers(), topic, box, publisher, "creds-" + stores.size());
    stores.add(store);
    store.start().await(30, TimeUnit.SECONDS);
    return store;
  }

  @Test
  @DisplayName(
      "a put is listed at once, opens for the builder, reaches a later reader, and a"
          + " delete removes it everywhere")
  void putGetDelete() throws Exception {
    Topic<RegistryCredentialEvent> topic = KafkaBroker.randomTopic(Topics.REGISTRY_CREDENTIALS, 2);
    CredentialStore writer = start(topic);

    assertThat(writer.put("ghcr", "ghcr.io", "bot", CANARY).await(20, TimeUnit.SECONDS)).isTrue();
    assertThat(writer.names()).containsExactly("ghcr");
    assertThat(writer.get("ghcr")).contains(new Credential("ghcr.io", "bot", CANARY));
    assertThat(writer.get("ghcr").orElseThrow().toString()).doesNotContain(CANARY);
    assertThat(writer.put("ghcr", "ghcr.io", "bot2", CANARY).await(20, TimeUnit.SECONDS)).isFalse();
    assertThat(writer.put("local", "127.0.0.1:5000", "me", "x").await(20, TimeUnit.SECONDS))
        .isTrue();

    CredentialStore later = start(topic);
    assertThat(later.names()).containsExactly("ghcr", "local");
    assertThat(later.get("ghcr").orElseThrow().username()).isEqualTo("bot2");
    assertThat(later.list())
        .extracting(CredentialStore.Summary::registry)
        .containsExactly("ghcr.io", "127.0.0.1:5000");

    assertThat(writer.delete("ghcr").await(20, TimeUnit.SECONDS)).isTrue();
    assertThat(writer.names()).containsExactly("local");
    assertThat(writer.delete("ghcr").await(20, TimeUnit.SECONDS)).isFalse();
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> later.names().equals(java.util.Set.of("local")));

    List<ConsumerRecord<String, byte[]>> records = KafkaBroker.readToEnd(List.of(topic.name()));
    assertThat(records).hasSize(4);
    for (ConsumerRecord<String, byte[]> r : records) {
      if (r.value() != null) {
        assertThat(new String(r.value(), StandardCharsets.UTF_8)).doesNotContain(CANARY);
      }
    }
    List<ConsumerRecord<String, byte[]>> ghcr =
        records.stream().filter(r -> r.key().equals("ghcr")).toList();
    assertThat(ghcr).hasSize(3);
    assertThat(ghcr.get(2).value()).as("the delete is a tombstone").isNull();
  }
}
