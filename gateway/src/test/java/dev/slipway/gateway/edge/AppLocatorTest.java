package dev.slipway.gateway.edge;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Finding the app a request is for")
class AppLocatorTest {

  private final AppLocator locator = new AppLocator("apps.example.com");

  @Test
  @DisplayName("Host <app>.<domain> names the app whatever the case, trailing dot or port")
  void byHost() {
    assertThat(locator.locate("shop.apps.example.com", "/cart?x=1"))
        .isEqualTo(new AppLocator.Located("shop", "/cart?x=1", null));
    assertThat(locator.locate("SHOP.Apps.Example.com.", "/").app()).isEqualTo("shop");
  }

  @Test
  @DisplayName("the host wins over the path, whose /apps/ prefix then stays as it is")
  void hostBeforePath() {
    assertThat(locator.locate("shop.apps.example.com", "/apps/other/x"))
        .isEqualTo(new AppLocator.Located("shop", "/apps/other/x", null));
  }

  @Test
  @DisplayName("/apps/<app>/ names the app and is stripped; /apps/<app> alone is the app's root")
  void byPathPrefix() {
    assertThat(locator.locate("127.0.0.1", "/apps/shop/cart?x=1"))
        .isEqualTo(new AppLocator.Located("shop", "/cart?x=1", "/apps/shop"));
    assertThat(locator.locate(null, "/apps/shop"))
        .isEqualTo(new AppLocator.Located("shop", "/", "/apps/shop"));
    assertThat(locator.locate(null, "/apps/shop?x=1"))
        .isEqualTo(new AppLocator.Located("shop", "/?x=1", "/apps/shop"));
  }

  @Test
  @DisplayName("no app: another host, a nested subdomain, an invalid name, no /apps/ prefix")
  void none() {
    assertThat(locator.locate("example.com", "/")).isNull();
    assertThat(locator.locate("a.b.apps.example.com", "/")).isNull();
    assertThat(locator.locate("apps.example.com", "/")).isNull();
    assertThat(locator.locate(null, "/apps/Bad_Name/")).isNull();
    assertThat(locator.locate(null, "/apps/")).isNull();
    assertThat(locator.locate(null, "/application")).isNull();
  }
}
