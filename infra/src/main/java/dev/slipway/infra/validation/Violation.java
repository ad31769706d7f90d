package dev.slipway.infra.validation;

import java.util.Objects;

/**
 * One reason a request cannot be accepted.
 *
 * @param field the offending field as a client wrote it: its JSON name ({@code repository}), a
 *     nested one with dots ({@code deploy.app}), a list item with its index ({@code tags[1]}), or a
 *     header name ({@code Idempotency-Key})
 * @param message what is wrong and what is accepted, for a person; never echoes a secret
 */
public record Violation(String field, String message) {

  public Violation {
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(message, "message");
  }
}
