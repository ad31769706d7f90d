package dev.slipway.infra.kafka;

import dev.slipway.infra.net.LoopbackPorts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) in this JVM: the one the
 * all-in-one launcher runs when no bootstrap servers are configured, and the one every integration
 * test uses. Its data directory survives a restart, so topics and offsets do too.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

  private final KafkaRaftServer server;
  private final String bootstrapServers;
  private final Path dataDir;

  private EmbeddedKafkaBroker(KafkaRaftServer server, String bootstrapServers, Path dataDir) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
    this.dataDir = dataDir;
  }

  /**
   * Starts a broker on {@code 127.0.0.1:port} (0 picks a free port) with its data under {@code
   * dataDir}, formatting the storage on first use, and returns once it answers clients.
   */
  public static EmbeddedKafkaBroker start(Path dataDir, int port) {
    try {
      Files.createDirectories(dataDir);
      int[] ports = LoopbackPorts.free(2);
      int brokerPort = port == 0 ? ports[0] : port;
      int controllerPort = ports[1];
      Path logDir = dataDir.resolve("kraft-logs");
      int cores = Runtime.getRuntime().availableProcessors();
      Properties props = new Properties();
      props.putAll(
          Map.ofEntries(
              Map.entry("process.roles", "broker,controller"),
              Map.entry("node.id", "1"),
              Map.entry(
                  "listeners",
                  "PLAINTEXT://127.0.0.1:"
                      + brokerPort
                      + ",CONTROLLER://127.0.0.1:"
                      + controllerPort),
              Map.entry("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort),
              Map.entry("controller.listener.names", "CONTROLLER"),
              Map.entry("inter.broker.listener.name", "PLAINTEXT"),
              Map.entry(
                  "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"),
              Map.entry("controller.quorum.voters", "1@127.0.0.1:" + controllerPort),
              Map.entry("log.dirs", logDir.toString()),
              Map.entry("num.partitions", "1"),
              Map.entry("auto.create.topics.enable", "false"),
              Map.entry("offsets.topic.replication.factor", "1"),
              Map.entry("offsets.topic.num.partitions", "3"),
              Map.entry("transaction.state.log.replication.factor", "1"),
              Map.entry("transaction.state.log.min.isr", "1"),
              Map.entry("share.coordinator.state.topic.replication.factor", "1"),
              Map.entry("share.coordinator.state.topic.min.isr", "1"),
              // A consumer joining a fresh group should not wait 3 s for others that never come.
              Map.entry("group.initial.rebalance.delay.ms", "0"),
              Map.entry("log.segment.bytes", String.valueOf(64 * 1024 * 1024)),
              // Sized for one node sharing a small machine with the services, not for a cluster:
              // the cleaner's dedupe buffer (128 MiB of heap by default, taken at start) only
              // compacts the offsets and credentials topics here, and fewer request threads mean
              // fewer threads for every safepoint and the scheduler to go through.
              Map.entry("log.cleaner.dedupe.buffer.size", String.valueOf(16 * 1024 * 1024)),
              Map.entry("num.network.threads", String.valueOf(Math.max(1, cores / 2))),
              Map.entry("num.io.threads", String.valueOf(Math.max(2, cores)))));
      if (!Files.exists(logDir.resolve("meta.properties"))) {
        format(dataDir, props);
      }
      Instant started = Instant.now();
      KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(props), Time.SYSTEM);
      server.startup();
      String bootstrap = "127.0.0.1:" + brokerPort;
      EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, bootstrap, dataDir);
      broker.awaitReady(Duration.ofSeconds(30));
      log.info(
          "embedded kafka up bootstrap={} dataDir={} tookMs={}",
          bootstrap,
          dataDir,
          Duration.between(started, Instant.now()).toMillis());
      return broker;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void format(Path dataDir, Properties props) throws IOException {
    Path config = dataDir.resolve("server.properties");
    try (OutputStream out = Files.newOutputStream(config)) {
      props.store(out, "written by Slipway for kafka-storage format");
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int exit;
    try (PrintStream print = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      exit =
          StorageTool.execute(
              new String[] {
                "format",
                "--cluster-id",
                Uuid.randomUuid().toString(),
                "--config",
                config.toString(),
                "--ignore-formatted"
              },
              print);
    }
    if (exit != 0) {
      throw new IllegalStateException(
          "kafka storage format failed: " + output.toString(StandardCharsets.UTF_8));
    }
  }

  private void awaitReady(Duration timeout) {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    try (Admin admin = Admin.create(props)) {
      admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      close();
      throw new IllegalStateException("embedded kafka did not answer within " + timeout, e);
    }
  }

  /** {@code 127.0.0.1:<port>}, for producers, consumers, admin clients and {@code kcat}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  public Path dataDir() {
    return dataDir;
  }

  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
  }
}
