package dev.slipway.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.slipway.infra.config.Env;
import dev.slipway.infra.config.SlipwayConfig;
import dev.slipway.infra.docker.Labels;
import dev.slipway.infra.events.CloudEventCodec;
import dev.slipway.infra.events.ContainerEvent;
import dev.slipway.infra.events.ContainerEvent.ContainerStateChanged;
import dev.slipway.infra.events.Topic;
import dev.slipway.infra.events.TopicSet;
import dev.slipway.infra.kafka.KafkaClients;
import dev.slipway.infra.launcher.ServiceRunner;
import dev.slipway.infra.net.LoopbackPorts;
import dev.slipway.infra.redis.ContainerHash;
import dev.slipway.infra.redis.RedisKeys;
import dev.slipway.infra.testing.BusyboxImages;
import dev.slipway.infra.testing.DockerEngine;
import dev.slipway.infra.testing.KafkaBroker;
import dev.slipway.infra.testing.RedisServer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The reconciler service as the launcher runs it")
class ReconcilerModuleIT {

  @Test
  @DisplayName(
      "it projects managed containers under its key prefix and tells of changes on its topics")
  void projectsContainers() throws Exception {
    DockerClient docker = DockerEngine.require();
    String image = BusyboxImages.randomTag();
    String suffix = DockerEngine.randomName("m");
    String keyPrefix = RedisServer.randomKeyPrefix();
    String topicPrefix = "test-" + suffix + ".";
    Path dataDir = Files.createTempDirectory("slipway-reconciler-it");
    int[] ports = LoopbackPorts.free(2);
    SlipwayConfig config =
        SlipwayConfig.from(
            new Env(
                Map.of(
                    "SLIPWAY_HTTP_PORT", String.valueOf(ports[0]),
                    "SLIPWAY_EDGE_PORT", String.valueOf(ports[1]),
                    "SLIPWAY_KAFKA_BOOTSTRAP_SERVERS", KafkaBroker.bootstrapServers(),
                    "SLIPWAY_REDIS_URL", RedisServer.url(),
                    "SLIPWAY_KEY_PREFIX", keyPrefix,
                    "SLIPWAY_TOPIC_PREFIX", topicPrefix,
                    "SLIPWAY_DATA_DIR", dataDir.toString())));
    RedisKeys keys = new RedisKeys(keyPrefix);
    Topic<ContainerEvent> topic = TopicSet.withPrefix(topicPrefix).containerEvents();
    String before = null;
    String after = null;
    BusyboxImages.httpImage(image, Map.of("index.html", "ok"));
    try {
      String app = DockerEngine.randomName("module-app");
      before = create(docker, image, app);
      try (ServiceRunner runner =
          ServiceRunner.start(config, List.of(new ReconcilerModule()), false)) {
        var redis = runner.context().redis();
        // The boot pass is done once the service is up.
        assertThat(hash(redis, keys.container(before)))
            .containsEntry(ContainerHash.STATE, "created")
            .containsEntry(ContainerHash.APP, app);

        after = create(docker, image, app);
        docker.startContainerCmd(after).exec();
        String started = after;
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> "running".equals(hash(redis, keys.container(started)).get("state")));

        // Keyed by app, on the topic under the configured prefix.
        List<String> wanted = List.of(before + ":created", after + ":running");
        List<String> events = readStateChanges(topic, app, wanted);
        assertThat(events).containsAll(wanted);

        Response keysLeft =
            redis.send(Request.cmd(Command.KEYS).arg(keyPrefix + "*")).await(10, TimeUnit.SECONDS);
        Request del = Request.cmd(Command.DEL);
        keysLeft.forEach(k -> del.arg(k.toString()));
        if (keysLeft.size() > 0) {
          redis.send(del).await(10, TimeUnit.SECONDS);
        }
      }
    } finally {
      for (String id : new String[] {before, after}) {
        if (id != null) {
          try {
            docker.removeContainerCmd(id).withForce(true).exec();
          } catch (NotFoundException gone) {
            // Nothing to remove.
          }
        }
      }
      BusyboxImages.remove(image);
      try (var files = Files.walk(dataDir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static String create(DockerClient docker, String image, String app) {
    return docker
        .createContainerCmd(image)
        .withName(DockerEngine.randomName("slipway-module-it"))
        .withLabels(
            Map.of(
                DockerEngine.TEST_LABEL, "true",
                Labels.MANAGED, Labels.TRUE,
                Labels.APP, app,
                Labels.REVISION, "1",
                Labels.COLOR, "green"))
        .exec()
        .getId();
  }

  private static Map<String, String> hash(io.vertx.redis.client.Redis redis, String key)
      throws Exception {
    Response all = redis.send(Request.cmd(Command.HGETALL).arg(key)).await(10, TimeUnit.SECONDS);
    Map<String, String> fields = new HashMap<>();
    for (String field : all.getKeys()) {
      fields.put(field, all.get(field).toString());
    }
    return fields;
  }

  private static List<String> readStateChanges(
      Topic<ContainerEvent> topic, String app, List<String> wanted) {
    List<String> seen = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            KafkaClients.consumer(
                KafkaBroker.bootstrapServers(), KafkaBroker.randomGroup(), "module-it"))) {
      consumer.subscribe(List.of(topic.name()));
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                  if (app.equals(r.key())
                      && CloudEventCodec.decode(topic, r).data()
                          instanceof ContainerStateChanged c) {
                    seen.add(c.containerId() + ":" + c.state());
                  }
                }
                return seen.containsAll(wanted);
              });
    }
    return seen;
  }
}
