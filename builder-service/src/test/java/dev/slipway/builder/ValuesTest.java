package dev.slipway.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.infra.config.ConfigException;
import dev.slipway.infra.config.Env;
import dev.slipway.infra.events.LogStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Builder values: config, image names, credentials, output lines")
class ValuesTest {

  @Test
  @DisplayName("the builder config has defaults and names the variable of a bad value")
  void config() {
    BuilderConfig defaults = BuilderConfig.from(new Env(Map.of()));
    assertThat(defaults.concurrency()).isEqualTo(2);
    assertThat(defaults.lease()).isEqualTo(Duration.ofSeconds(15));
    assertThat(defaults.renewEvery()).isEqualTo(Duration.ofSeconds(5));
    assertThat(defaults.maxAttempts()).isEqualTo(2);
    assertThat(defaults.gitDenyHosts()).contains("169.254.0.0/16", "metadata.google.internal");

    assertThatThrownBy(
            () -> BuilderConfig.from(new Env(Map.of("SLIPWAY_BUILDER_CONCURRENCY", "0"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("SLIPWAY_BUILDER_CONCURRENCY");
    assertThatThrownBy(
            () -> BuilderConfig.from(new Env(Map.of("SLIPWAY_GIT_DENY_HOSTS", "10.0.0.0/40"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("SLIPWAY_GIT_DENY_HOSTS");
  }

  @Test
  @DisplayName("image names give their registry; bad names and tags are the request's fault")
  void imageNames() {
    assertThat(ImageRef.parse("127.0.0.1:5000/team/app").registry()).isEqualTo("127.0.0.1:5000");
    assertThat(ImageRef.parse("ghcr.io/acme/app").registry()).isEqualTo("ghcr.io");
    assertThat(ImageRef.parse("localhost/app").registry()).isEqualTo("localhost");
    assertThat(ImageRef.parse("acme/app").registry()).isEqualTo("docker.io");
    assertThat(ImageRef.parse("app").withTag("v1")).isEqualTo("app:v1");
    assertThatThrownBy(() -> ImageRef.parse("Acme/App")).hasMessageContaining("lowercase");
    assertThatThrownBy(() -> ImageRef.parse("acme/app:v1")).hasMessageContaining("tags field");
    assertThatThrownBy(() -> ImageRef.parse("acme/app@sha256:00")).hasMessageContaining("digest");
    assertThatThrownBy(() -> ImageRef.checkTag("-bad")).hasMessageContaining("tag '-bad'");
    assertThat(ImageRef.defaultTag("0123456789abcdef", Instant.parse("2026-01-02T03:04:05Z")))
        .isEqualTo("0123456-20260102030405");
  }

  @Test
  @DisplayName("a credential is only for its own host, and its secret never prints")
  void credentials() {
    RegistryAuth auth = new RegistryAuth("https://git.example.com/", "bob", "s3cret-value");
    assertThat(auth.belongsTo("git.example.com", -1)).isTrue();
    assertThat(auth.belongsTo("git.example.com", 8443)).isTrue();
    assertThat(auth.belongsTo("evil.example.com", -1)).isFalse();
    assertThat(new RegistryAuth("127.0.0.1:5000", "u", "p").belongsTo("127.0.0.1", 5001)).isFalse();
    assertThat(auth.toString()).doesNotContain("s3cret-value");
  }

  @Test
  @DisplayName("output chunks become whole lines; carriage returns end lines; long lines are cut")
  void lines() {
    List<String> seen = new ArrayList<>();
    LineSplitter splitter = new LineSplitter((stream, text) -> seen.add(text), LogStream.STDOUT);
    splitter.accept("Step 1/2 : FR");
    splitter.accept("OM scratch\r\n ---> \n10%\r50%\r100%\n");
    splitter.accept("x".repeat(LineSplitter.MAX_LINE + 10));
    splitter.finish();
    assertThat(seen.subList(0, 5))
        .containsExactly("Step 1/2 : FROM scratch", " ---> ", "10%", "50%", "100%");
    assertThat(seen.get(5)).hasSize(LineSplitter.MAX_LINE + 1).endsWith("…");
  }

  @Test
  @DisplayName("secrets are masked in output lines")
  void redaction() {
    Redactor redactor = new Redactor();
    redactor.add("hunter22");
    redactor.add("ab");
    assertThat(redactor.apply("login with hunter22 and ab")).isEqualTo("login with **** and ab");
  }

  @Test
  @DisplayName(".dockerignore patterns: '**/' matches at the top too; the last match wins")
  void dockerignore() {
    DockerIgnore ignore = DockerIgnore.parse(List.of("**/*.tmp", "build/", "!build/keep", "# c"));
    assertThat(ignore.excluded("a.tmp")).isTrue();
    assertThat(ignore.excluded("x/y/a.tmp")).isTrue();
    assertThat(ignore.excluded("build/out/bin")).isTrue();
    assertThat(ignore.excluded("build/keep")).isFalse();
    assertThat(ignore.excluded("src/main.c")).isFalse();
    assertThat(ignore.hasExceptions()).isTrue();
  }
}
