package dev.slipway.infra.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.infra.events.BuildCommand.BuildRequested;
import dev.slipway.infra.events.DeploySpec;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class BuildRequestRulesTest {

  private static final BuildRequestRules HTTPS_ONLY = new BuildRequestRules(Set.of("https"));

  /** A request every rule accepts; each case below changes one field of it. */
  private static final Fields VALID =
      new Fields(
          "b-01hzy3k8q2",
          "https://git.example.com/team/app.git",
          "main",
          ".",
          "Dockerfile",
          Map.of("VERSION", "1.2"),
          "registry.local:5000/team/app",
          List.of("latest", "1.2.3"),
          null,
          null,
          Map.of("org.opencontainers.image.source", "x"),
          600,
          null);

  private record Fields(
      String buildId,
      String repository,
      String ref,
      String context,
      String dockerfile,
      Map<String, String> buildArgs,
      String image,
      List<String> tags,
      String registryCredential,
      String gitCredential,
      Map<String, String> labels,
      Integer timeoutSeconds,
      DeploySpec deploy) {

    BuildRequested request() {
      return new BuildRequested(
          buildId,
          repository,
          ref,
          context,
          dockerfile,
          buildArgs,
          image,
          tags,
          false,
          registryCredential,
          gitCredential,
          labels,
          timeoutSeconds,
          deploy,
          null,
          Instant.parse("2026-01-01T00:00:00Z"));
    }

    Fields repository(String v) {
      return new Fields(
          buildId,
          v,
          ref,
          context,
          dockerfile,
          buildArgs,
          image,
          tags,
          registryCredential,
          gitCredential,
          labels,
          timeoutSeconds,
          deploy);
    }

    Fields ref(String v) {
      return new Fields(
          buildId,
          repository,
          v,
          context,
          dockerfile,
          buildArgs,
          image,
          tags,
          registryCredential,
          gitCredential,
          labels,
          timeoutSeconds,
          deploy);
    }

    Fields context(String v) {
      return new Fields(
          buildId,
          repository,
          ref,
          v,
          dockerfile,
          buildArgs,
          image,
          tags,
          registryCredential,
          gitCredential,
          labels,
          timeoutSeconds,
          deploy);
    }

    Fields dockerfile(String v) {
      return new Fields(
          buildId,
          repository,
          ref,
          context,
          v,
          buildArgs,
          image,
          tags,
          registryCredential,
          gitCredential,
          labels,
          timeoutSeconds,
          deploy);
    }

    Fields buildArgs(Map<String, String> v) {
      return new Fields(
          buildId,
          repository,
          ref,
          context,
          dockerfile,
          v,
          image,
          tags,
          registryCredential,
          gitCredential,
          labels,
          timeoutSeconds,
          deploy);
    }

    Fields image(String v) {
      return new Fields(
          buildId,
          repository,
          ref,
          context,
          dockerfile,
          buildArgs,
          v,
          tags,
          registryCredential,
          gitCredential,
          labels,
          timeoutSeconds,
          deploy);
    }

    Fields tags(List<String> v) {
      return new Fields(
          buildId,
          repository,
          ref,
          context,
          dockerfile,
          buildArgs,
          image,
          v,
          registryCredential,
          gitCredential,
          labels,
          timeoutSeconds,
          deploy);
    }

    Fields registryCredential(String v) {
      return new Fields(
          buildId,
          repository,
          ref,
          context,
          dockerfile,
          buildArgs,
          image,
          tags,
          v,
          gitCredential,
          labels,
          timeoutSeconds,
          deploy);
    }

    Fields labels(Map<String, String> v) {
      return new Fields(
          buildId,
          repository,
          ref,
          context,
          dockerfile,
          buildArgs,
          image,
          tags,
          registryCredential,
          gitCredential,
          v,
          timeoutSeconds,
          deploy);
    }

    Fields timeout(Integer v) {
      return new Fields(
          buildId,
          repository,
          ref,
          context,
          dockerfile,
          buildArgs,
          image,
          tags,
          registryCredential,
          gitCredential,
          labels,
          v,
          deploy);
    }

    Fields deploy(DeploySpec v) {
      return new Fields(
          buildId,
          repository,
          ref,
          context,
          dockerfile,
          buildArgs,
          image,
          tags,
          registryCredential,
          gitCredential,
          labels,
          timeoutSeconds,
          v);
    }
  }

  private static DeploySpec deploy(String app, String image, Integer port, List<String> volumes) {
    return new DeploySpec(
        app,
        image,
        DeploySpec.Strategy.BLUE_GREEN,
        port,
        Map.of("PORT", "8080"),
        null,
        null,
        volumes,
        null,
        null,
        null);
  }

  private static Arguments bad(String why, String field, UnaryOperator<Fields> change) {
    return Arguments.of(why, field, change);
  }

  static Stream<Arguments> badRequests() {
    return Stream.of(
        bad("ext:: transport helper", "repository", f -> f.repository("ext::sh -c touch% /tmp/x")),
        bad("ext:: without spaces", "repository", f -> f.repository("ext::evil")),
        bad("file:// URL", "repository", f -> f.repository("file:///srv/repo")),
        bad("local absolute path", "repository", f -> f.repository("/srv/repo")),
        bad("local relative path", "repository", f -> f.repository("../repo")),
        bad("home path", "repository", f -> f.repository("~/repo")),
        bad("option injection", "repository", f -> f.repository("--upload-pack=touch /tmp/x")),
        bad("short option", "repository", f -> f.repository("-u/tmp/x")),
        bad(
            "ssh proxy command",
            "repository",
            f -> f.repository("ssh://-oProxyCommand=touch%20/tmp/x/repo")),
        bad("ssh not allowed", "repository", f -> f.repository("ssh://git@host/repo.git")),
        bad("scp-style ssh", "repository", f -> f.repository("git@github.com:owner/repo.git")),
        bad("http not listed", "repository", f -> f.repository("http://host/repo.git")),
        bad("git not listed", "repository", f -> f.repository("git://host/repo.git")),
        bad(
            "credentials in URL",
            "repository",
            f -> f.repository("https://user:pw@git.example.com/team/app.git")),
        bad(
            "user in URL",
            "repository",
            f -> f.repository("https://token@git.example.com/team/app.git")),
        bad("newline", "repository", f -> f.repository("https://host/repo.git\n--upload-pack=x")),
        bad("space", "repository", f -> f.repository("https://host/repo.git --upload-pack=x")),
        bad("tab", "repository", f -> f.repository("https://host/re\tpo.git")),
        bad("NUL", "repository", f -> f.repository("https://host/repo\0.git")),
        bad("no host", "repository", f -> f.repository("https:///repo.git")),
        bad("host looks like an option", "repository", f -> f.repository("https://-host/r.git")),
        bad("no path", "repository", f -> f.repository("https://host")),
        bad("empty", "repository", f -> f.repository("")),
        bad("ref option", "ref", f -> f.ref("--upload-pack=x")),
        bad("ref refspec", "ref", f -> f.ref("main:refs/heads/evil")),
        bad("ref dotdot", "ref", f -> f.ref("main..other")),
        bad("ref space", "ref", f -> f.ref("main other")),
        bad("context dotdot", "context", f -> f.context("../outside")),
        bad("context nested dotdot", "context", f -> f.context("app/../../outside")),
        bad("context absolute", "context", f -> f.context("/etc")),
        bad("context backslash", "context", f -> f.context("app\\..\\..")),
        bad("context percent-encoded", "context", f -> f.context("%2e%2e/outside")),
        bad("context windows drive", "context", f -> f.context("C:/Windows")),
        bad("context empty", "context", f -> f.context("")),
        bad("dockerfile dotdot", "dockerfile", f -> f.dockerfile("../Dockerfile")),
        bad("dockerfile absolute", "dockerfile", f -> f.dockerfile("/etc/passwd")),
        bad("dockerfile percent", "dockerfile", f -> f.dockerfile("%2E%2E%2FDockerfile")),
        bad("dockerfile backslash", "dockerfile", f -> f.dockerfile("..\\Dockerfile")),
        bad("dockerfile directory", "dockerfile", f -> f.dockerfile("docker/")),
        bad("image uppercase", "image", f -> f.image("Team/App")),
        bad("image with tag", "image", f -> f.image("team/app:1.0")),
        bad("image with digest", "image", f -> f.image("team/app@sha256:" + "a".repeat(64))),
        bad("image bad separator", "image", f -> f.image("team/-app")),
        bad("image trailing slash", "image", f -> f.image("team/app/")),
        bad("image bad registry", "image", f -> f.image("-reg.local:5000/app")),
        bad("image empty", "image", f -> f.image("")),
        bad("image with space", "image", f -> f.image("team/my app")),
        bad("tag with slash", "tags[1]", f -> f.tags(List.of("ok", "a/b"))),
        bad("tag starting with dot", "tags[0]", f -> f.tags(List.of(".hidden"))),
        bad("tag too long", "tags[0]", f -> f.tags(List.of("t".repeat(129)))),
        bad("build arg name with dash", "build_args", f -> f.buildArgs(Map.of("MY-ARG", "x"))),
        bad("build arg name digit", "build_args", f -> f.buildArgs(Map.of("1ARG", "x"))),
        bad("build arg NUL value", "build_args.A", f -> f.buildArgs(Map.of("A", "x\0y"))),
        bad("credential name", "registry_credential", f -> f.registryCredential("../x")),
        bad("reserved label", "labels", f -> f.labels(Map.of("dev.slipway.build", "forged"))),
        bad("label key", "labels", f -> f.labels(Map.of("bad key", "x"))),
        bad("timeout over a day", "timeout_seconds", f -> f.timeout(86_401)),
        bad("deploy app", "deploy.app", f -> f.deploy(deploy("My_App", "team/app:1", 80, null))),
        bad("deploy image", "deploy.image", f -> f.deploy(deploy("app", "Team/App", 80, null))),
        bad("deploy port", "deploy.port", f -> f.deploy(deploy("app", "team/app", 70000, null))),
        bad(
            "deploy host path volume",
            "deploy.volumes[0]",
            f -> f.deploy(deploy("app", "team/app", 80, List.of("/:/host")))));
  }

  @ParameterizedTest(name = "{0} is refused and names {1}")
  @MethodSource("badRequests")
  @DisplayName("a bad field is refused with a violation naming exactly that field")
  void badFieldNamed(String why, String field, UnaryOperator<Fields> change) {
    List<Violation> violations = HTTPS_ONLY.check(change.apply(VALID).request());

    assertThat(violations).extracting(Violation::field).containsExactly(field);
    assertThat(violations.get(0).message()).isNotBlank();
  }

  static Stream<Arguments> goodRequests() {
    return Stream.<Arguments>of(
        Arguments.of("the base request", (UnaryOperator<Fields>) f -> f),
        Arguments.of("no ref", (UnaryOperator<Fields>) f -> f.ref(null)),
        Arguments.of("a tag ref", (UnaryOperator<Fields>) f -> f.ref("refs/tags/v1.2.3")),
        Arguments.of("a commit ref", (UnaryOperator<Fields>) f -> f.ref("a".repeat(40))),
        Arguments.of("nested context", (UnaryOperator<Fields>) f -> f.context("services/api")),
        Arguments.of(
            "dotted file", (UnaryOperator<Fields>) f -> f.dockerfile("docker/app.Dockerfile")),
        Arguments.of("a name with dots", (UnaryOperator<Fields>) f -> f.context("v1..x")),
        Arguments.of("plain image", (UnaryOperator<Fields>) f -> f.image("app")),
        Arguments.of("localhost registry", (UnaryOperator<Fields>) f -> f.image("localhost/app")),
        Arguments.of("separators", (UnaryOperator<Fields>) f -> f.image("a.b/c__d/e-f--g")),
        Arguments.of(
            "URL with port and query",
            (UnaryOperator<Fields>) f -> f.repository("https://git.example.com:8443/team/app")),
        Arguments.of(
            "uppercase scheme",
            (UnaryOperator<Fields>) f -> f.repository("HTTPS://git.example.com/team/app.git")),
        Arguments.of(
            "deploy",
            (UnaryOperator<Fields>)
                f ->
                    f.deploy(
                        deploy(
                            "shop-api",
                            "team/app:1.0@sha256:" + "b".repeat(64),
                            8080,
                            List.of("data:/var/lib/app:ro")))));
  }

  @ParameterizedTest(name = "{0} is accepted")
  @MethodSource("goodRequests")
  @DisplayName("a request within the rules has no violations")
  void goodAccepted(String why, UnaryOperator<Fields> change) {
    assertThat(HTTPS_ONLY.check(change.apply(VALID).request())).isEmpty();
  }

  @Test
  @DisplayName("http and git URLs are accepted once SLIPWAY_GIT_SCHEMES lists them")
  void optInSchemes() {
    BuildRequestRules all = new BuildRequestRules(Set.of("https", "http", "git"));

    assertThat(all.check(VALID.repository("http://127.0.0.1:8080/repo.git").request())).isEmpty();
    assertThat(all.check(VALID.repository("git://host/repo.git").request())).isEmpty();
    assertThat(all.check(VALID.repository("file:///srv/repo").request()))
        .extracting(Violation::field)
        .containsExactly("repository");
  }

  @Test
  @DisplayName("a credential in the URL is refused without echoing the password")
  void credentialsNotEchoed() {
    List<Violation> violations =
        HTTPS_ONLY.check(VALID.repository("https://user:s3cr3t-canary@host/r.git").request());

    assertThat(violations).hasSize(1);
    assertThat(violations.get(0).message())
        .doesNotContain("s3cr3t-canary")
        .contains("git_credential");
  }

  @Test
  @DisplayName("every bad field of one request is reported, in field order")
  void allViolations() {
    List<Violation> violations =
        HTTPS_ONLY.check(
            VALID.repository("ext::x").context("..").image("UPPER").timeout(86_401).request());

    assertThat(violations)
        .extracting(Violation::field)
        .containsExactly("repository", "context", "image", "timeout_seconds");
  }
}
