package dev.slipway.infra.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.PullImageResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.PushResponseItem;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The local registry fixture")
class LocalRegistryIT {

  private static DockerClient docker;

  private String sourceTag;
  private String sourceId;
  private final List<String> imagesToRemove = new ArrayList<>();

  @BeforeAll
  static void engine() {
    docker = DockerEngine.require();
  }

  @BeforeEach
  void buildImage() {
    sourceTag = BusyboxImages.randomTag();
    sourceId =
        BusyboxImages.httpImage(sourceTag, Map.of("index.html", FixtureSupport.randomSuffix()));
  }

  @AfterEach
  void removeImages() {
    for (String image : imagesToRemove) {
      try {
        docker.removeImageCmd(image).withForce(true).exec();
      } catch (NotFoundException alreadyGone) {
        // Removed by the test itself.
      }
    }
    BusyboxImages.remove(sourceTag);
    assertThrows(NotFoundException.class, () -> docker.inspectImageCmd(sourceId).exec());
  }

  @Test
  @DisplayName("an image pushed to the registry is pulled back by digest as the same image")
  void pushAndPullByDigest() throws Exception {
    try (LocalRegistry registry = LocalRegistry.start()) {
      roundTrip(registry, registry.authConfig());
    }
  }

  @Test
  @DisplayName("with auth on, a push without credentials is refused and one with them round-trips")
  void pushWithAuth() throws Exception {
    try (LocalRegistry registry =
        LocalRegistry.startWithAuth("pusher", "pw-" + FixtureSupport.randomSuffix())) {
      assertEquals(401, status("http://" + registry.address() + "/v2/"));

      String repository = registry.address() + "/test/" + FixtureSupport.randomSuffix();
      docker.tagImageCmd(sourceId, repository, "v1").exec();
      imagesToRemove.add(repository + ":v1");
      PushOutcome anonymous =
          push(repository, new AuthConfig().withRegistryAddress(registry.address()));
      assertNotNull(anonymous.error, "a push without credentials is refused");
      assertTrue(
          anonymous.error.contains("auth") || anonymous.error.contains("401"), anonymous.error);
      docker.removeImageCmd(repository + ":v1").exec();

      roundTrip(registry, registry.authConfig());
    }
  }

  /** Tag, push, drop the local copy, pull by digest, compare. */
  private void roundTrip(LocalRegistry registry, AuthConfig auth) throws Exception {
    String repository = registry.address() + "/test/" + FixtureSupport.randomSuffix();
    docker.tagImageCmd(sourceId, repository, "v1").exec();
    imagesToRemove.add(repository + ":v1");

    PushOutcome pushed = push(repository, auth);
    assertEquals(null, pushed.error, "push succeeds");
    assertNotNull(pushed.digest, "the registry reports the manifest digest");
    assertTrue(pushed.digest.startsWith("sha256:"), pushed.digest);

    docker.removeImageCmd(repository + ":v1").exec();
    BusyboxImages.remove(sourceTag);
    assertThrows(NotFoundException.class, () -> docker.inspectImageCmd(sourceId).exec());

    String byDigest = repository + "@" + pushed.digest;
    imagesToRemove.add(byDigest);
    docker
        .pullImageCmd(repository)
        .withTag(pushed.digest)
        .withAuthConfig(auth)
        .exec(new PullImageResultCallback())
        .awaitCompletion(2, TimeUnit.MINUTES);

    var pulled = docker.inspectImageCmd(byDigest).exec();
    assertEquals(sourceId, pulled.getId(), "the pulled image is the pushed one");
    assertTrue(
        pulled.getRepoDigests().contains(byDigest), () -> pulled.getRepoDigests().toString());
    imagesToRemove.add(sourceId);
  }

  private PushOutcome push(String repository, AuthConfig auth) throws InterruptedException {
    PushOutcome outcome = new PushOutcome();
    boolean finished;
    try {
      finished =
          docker
              .pushImageCmd(repository)
              .withTag("v1")
              .withAuthConfig(auth)
              .exec(
                  new ResultCallback.Adapter<PushResponseItem>() {
                    @Override
                    public void onNext(PushResponseItem item) {
                      if (item.isErrorIndicated()) {
                        outcome.error =
                            item.getErrorDetail() != null
                                ? item.getErrorDetail().getMessage()
                                : item.getError();
                      }
                      if (item.getAux() != null && item.getAux().getDigest() != null) {
                        outcome.digest = item.getAux().getDigest();
                      }
                    }

                    @Override
                    public void onError(Throwable throwable) {
                      outcome.error = throwable.toString();
                      super.onError(throwable);
                    }
                  })
              .awaitCompletion(2, TimeUnit.MINUTES);
    } catch (RuntimeException refused) {
      outcome.error = refused.toString();
      return outcome;
    }
    assertTrue(finished, "push finished within two minutes");
    return outcome;
  }

  private static int status(String url) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static final class PushOutcome {
    volatile String error;
    volatile String digest;
  }
}
