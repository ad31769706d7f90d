package dev.slipway.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.infra.events.BuildFailureReason;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("Repository URL policy")
class GitUrlPolicyTest {

  private final GitUrlPolicy policy =
      new GitUrlPolicy(
          Set.of("https", "http"), List.of(BuilderConfig.DEFAULT_DENY_HOSTS.split(",")));

  @ParameterizedTest(name = "{0} is refused: {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "file:///etc/passwd                          | scheme 'file' is not allowed",
        "ext::sh -c id                               | spaces",
        "ext::git-upload-pack                        | remote helpers such as ext::",
        "--upload-pack=touch /tmp/x                  | must not start with '-'",
        "git@github.com:acme/app.git                 | such as https://host/owner/repo.git",
        "/srv/git/app.git                            | scp-style addresses and local paths",
        "ssh://github.com/acme/app.git               | scheme 'ssh' is not allowed",
        "https://metadata.google.internal/x.git      | is not allowed (SLIPWAY_GIT_DENY_HOSTS",
        "https:///nohost.git                         | has no host",
      })
  @DisplayName("URLs the builder must not clone are refused with a reason")
  void refused(String url, String expected) {
    assertThatThrownBy(() -> policy.check(url))
        .isInstanceOf(BuildFailure.class)
        .hasMessageContaining(expected)
        .extracting(e -> ((BuildFailure) e).reason())
        .isEqualTo(BuildFailureReason.CLONE_FAILED);
  }

  @Test
  @DisplayName("credentials in the URL are refused without repeating them")
  void credentialsInUrl() {
    assertThatThrownBy(() -> policy.check("https://bob:s3cret-token@github.com/acme/app.git"))
        .hasMessageContaining("must not contain credentials")
        .hasMessageNotContaining("s3cret-token");
  }

  @Test
  @DisplayName("an https URL passes and is shown without query")
  void allowed() {
    GitUrlPolicy.Remote remote = policy.check("https://github.com:8443/acme/app.git?x=1");
    assertThat(remote.host()).isEqualTo("github.com");
    assertThat(remote.port()).isEqualTo(8443);
    assertThat(remote.display()).isEqualTo("https://github.com:8443/acme/app.git");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "http://169.254.169.254/latest.git, 169.254.0.0/16",
    "http://[fe80::1]/x.git, fe80::/10",
    "http://[::ffff:169.254.1.1]/x.git, 169.254.0.0/16",
    "http://0.0.0.0/x.git, 0.0.0.0/8",
  })
  @DisplayName("hosts inside a denied range are refused, IPv4-mapped IPv6 included")
  void deniedAddresses(String url, String range) {
    GitUrlPolicy.Remote remote = policy.check(url);
    assertThatThrownBy(() -> policy.checkAddresses(remote, Duration.ofSeconds(1)))
        .isInstanceOf(BuildFailure.class)
        .hasMessageContaining("which is not allowed (SLIPWAY_GIT_DENY_HOSTS: " + range + ")");
  }

  @Test
  @DisplayName("loopback is allowed unless the operator denies it")
  void loopback() {
    GitUrlPolicy.Remote remote = policy.check("http://127.0.0.1:9/x.git");
    policy.checkAddresses(remote, Duration.ofSeconds(1));

    GitUrlPolicy strict = new GitUrlPolicy(Set.of("http"), List.of("127.0.0.0/8"));
    assertThatThrownBy(() -> strict.checkAddresses(remote, Duration.ofSeconds(1)))
        .hasMessageContaining("resolves to 127.0.0.1");
  }

  @Test
  @DisplayName("a deny list entry that is no host, address or range is a configuration error")
  void badDenyEntry() {
    assertThatThrownBy(() -> HostDenyList.parse(List.of("10.0.0.0/33")))
        .hasMessageContaining("bad prefix length");
    assertThatThrownBy(() -> HostDenyList.parse(List.of("not a host!")))
        .hasMessageContaining("is not a host name, an address or a CIDR range");
  }
}
