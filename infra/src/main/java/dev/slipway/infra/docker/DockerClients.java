package dev.slipway.infra.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;
import java.time.Duration;

/**
 * Creates docker-java clients on the Apache httpclient5 transport.
 *
 * <p>Every docker-java call blocks its thread until the engine answers, and streaming calls
 * (events, logs, builds, pulls) block for as long as the stream lasts. Run them on virtual threads
 * (a {@code ThreadingModel.VIRTUAL_THREAD} verticle or {@code
 * Executors.newVirtualThreadPerTaskExecutor()}), never on a Vert.x event loop.
 *
 * <p>No API version is pinned: the client negotiates down to what the engine speaks (Docker 20.10
 * speaks 1.41). {@code DOCKER_API_VERSION}, {@code DOCKER_TLS_VERIFY} and {@code DOCKER_CERT_PATH}
 * are honoured when set, as with the docker CLI.
 */
public final class DockerClients {

  /** How long to wait for the engine to accept a connection. */
  public static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(10);

  /**
   * The longest silence allowed on one response. Streams that can stay quiet for longer (the engine
   * event stream on an idle host, a build step without output) end with a timeout and must be
   * reopened; callers that watch events resync anyway.
   */
  public static final Duration RESPONSE_TIMEOUT = Duration.ofMinutes(15);

  /** Enough for many concurrent streams: each open event, log or build stream holds one. */
  private static final int MAX_CONNECTIONS = 100;

  private DockerClients() {}

  /**
   * A client for the engine at {@code dockerHost}, e.g. {@code unix:///var/run/docker.sock} or
   * {@code tcp://127.0.0.1:2375}, with {@link #CONNECTION_TIMEOUT} and {@link #RESPONSE_TIMEOUT}.
   */
  public static DockerClient create(String dockerHost) {
    return create(dockerHost, RESPONSE_TIMEOUT);
  }

  /** Like {@link #create(String)}, with the longest silence allowed on one response. */
  public static DockerClient create(String dockerHost, Duration responseTimeout) {
    DockerClientConfig config =
        DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(dockerHost).build();
    DockerHttpClient http =
        new ApacheDockerHttpClient.Builder()
            .dockerHost(config.getDockerHost())
            .sslConfig(config.getSSLConfig())
            .maxConnections(MAX_CONNECTIONS)
            .connectionTimeout(CONNECTION_TIMEOUT)
            .responseTimeout(responseTimeout)
            .build();
    return DockerClientImpl.getInstance(config, http);
  }
}
