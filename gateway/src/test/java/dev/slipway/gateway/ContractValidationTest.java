package dev.slipway.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ContractValidationTest {

  @Test
  @DisplayName("a JSON pointer becomes the field name a client wrote")
  void fieldNames() {
    assertThat(ContractValidation.field("")).isEmpty();
    assertThat(ContractValidation.field("/repository")).isEqualTo("repository");
    assertThat(ContractValidation.field("/deploy/app")).isEqualTo("deploy.app");
    assertThat(ContractValidation.field("/tags/1")).isEqualTo("tags[1]");
    assertThat(ContractValidation.field("/deploy/volumes/0")).isEqualTo("deploy.volumes[0]");
    assertThat(ContractValidation.field("/labels/a~1b")).isEqualTo("labels.a/b");
  }
}
