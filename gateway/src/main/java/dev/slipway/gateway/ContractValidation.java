package dev.slipway.gateway;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.validation.RequestValidator;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatedRequest;
import io.vertx.openapi.validation.ValidatorErrorType;
import io.vertx.openapi.validation.ValidatorException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Validates requests against the OpenAPI document (vertx-openapi) and turns what the validator
 * reports into a 400 problem whose {@code field} names the input: a parameter by its name, a body
 * field as the client wrote it ({@code deploy.app}, {@code tags[1]}).
 */
final class ContractValidation {

  /** Where the validated request is kept in the routing context. */
  static final String VALIDATED = "slipway.validated";

  private static final Pattern REQUIRED = Pattern.compile("required property \"(.+)\"");
  private static final Pattern EXPECTED = Pattern.compile("Expected (.+)$");
  private static final Pattern TOO_LONG = Pattern.compile("> (\\d+)\\)");

  private final OpenAPIContract contract;
  private final RequestValidator validator;
  private final RequestExtractor extractor = RequestExtractor.withBodyHandler();

  ContractValidation(Vertx vertx, OpenAPIContract contract) {
    this.contract = contract;
    this.validator = RequestValidator.create(vertx, contract);
  }

  OpenAPIContract contract() {
    return contract;
  }

  /** A handler validating the request as the operation {@code operationId} of the document. */
  Handler<RoutingContext> validate(String operationId) {
    Operation operation = contract.operation(operationId);
    if (operation == null) {
      throw new IllegalArgumentException("no operation " + operationId + " in openapi.yaml");
    }
    return ctx ->
        extractor
            .extractValidatableRequest(ctx, operation)
            .compose(request -> validator.validate(request, operationId))
            .recover(e -> Future.failedFuture(problem(operation, e).exception()))
            .onSuccess(
                validated -> {
                  ctx.put(VALIDATED, validated);
                  ctx.next();
                })
            .onFailure(ctx::fail);
  }

  static ValidatedRequest validated(RoutingContext ctx) {
    return ctx.get(VALIDATED);
  }

  static Problem problem(Operation operation, Throwable error) {
    if (!(error instanceof ValidatorException e)) {
      return new Problem(400, "Bad Request", "the request could not be read", null);
    }
    String message = e.getMessage() == null ? "" : e.getMessage();
    for (Parameter parameter : operation.getParameters()) {
      String name = parameter.getName();
      if (message.contains("parameter " + name + " ") || message.endsWith("parameter " + name)) {
        return Problem.badRequest(name, parameterDetail(parameter, e));
      }
    }
    if (e.type() == ValidatorErrorType.MISSING_REQUIRED_PARAMETER
        && !(e instanceof SchemaValidationException)) {
      return Problem.badRequest(null, "a JSON body is required");
    }
    if (e.type() == ValidatorErrorType.UNSUPPORTED_VALUE_FORMAT
        || e.type() == ValidatorErrorType.ILLEGAL_VALUE) {
      return Problem.badRequest(null, "the body is not valid JSON");
    }
    if (e instanceof SchemaValidationException schema && schema.getOutputUnit() != null) {
      return bodyProblem(schema.getOutputUnit());
    }
    return Problem.badRequest(null, "the request does not match the API: " + message);
  }

  private static String parameterDetail(Parameter parameter, ValidatorException e) {
    if (e.type() == ValidatorErrorType.MISSING_REQUIRED_PARAMETER) {
      return "is required";
    }
    if (e instanceof SchemaValidationException schema && schema.getOutputUnit() != null) {
      Located worst = worst(schema.getOutputUnit());
      if (worst != null) {
        return worst.detail;
      }
    }
    return "has an invalid value";
  }

  /** An error at a place; a wrapper only says that something below it is wrong. */
  private record Located(String pointer, String detail, boolean wrapper) {
    Located(String pointer, String detail) {
      this(pointer, detail, false);
    }
  }

  private static Problem bodyProblem(OutputUnit unit) {
    Located worst = worst(unit);
    if (worst == null) {
      return Problem.badRequest(null, "the body does not match the API");
    }
    String field = field(worst.pointer);
    if (field.isEmpty()) {
      return Problem.badRequest(null, "the body " + worst.detail);
    }
    return Problem.badRequest(field, field + " " + worst.detail);
  }

  // The most specific error: the deepest instance location, a real error before a wrapper
  // around one; among equals, the first reported.
  private static Located worst(OutputUnit unit) {
    List<OutputUnit> errors = unit.getErrors();
    if (errors == null || errors.isEmpty()) {
      return unit.getError() == null ? null : located(unit);
    }
    Located best = null;
    int bestRank = -1;
    for (OutputUnit error : errors) {
      Located candidate = located(error);
      int rank = depth(candidate.pointer) * 2 + (candidate.wrapper ? 0 : 1);
      if (rank > bestRank) {
        best = candidate;
        bestRank = rank;
      }
    }
    return best;
  }

  private static Located located(OutputUnit error) {
    String keyword = error.getKeywordLocation() == null ? "" : error.getKeywordLocation();
    String pointer = pointer(error.getInstanceLocation());
    String message = error.getError() == null ? "" : error.getError();
    String last = keyword.substring(keyword.lastIndexOf('/') + 1);
    switch (last) {
      case "required" -> {
        Matcher m = REQUIRED.matcher(message);
        if (m.find()) {
          return new Located(pointer + "/" + escape(m.group(1)), "is required");
        }
        return new Located(pointer, "misses a required field");
      }
      case "additionalProperties" -> {
        return new Located(pointer, "is not a known field");
      }
      case "type" -> {
        Matcher m = EXPECTED.matcher(message);
        return new Located(pointer, m.find() ? "must be of type " + m.group(1) : message);
      }
      case "maxLength" -> {
        Matcher m = TOO_LONG.matcher(message);
        return new Located(
            pointer, m.find() ? "is longer than " + m.group(1) + " characters" : "is too long");
      }
      case "minimum" -> {
        return new Located(pointer, "must be at least " + afterThan(message));
      }
      case "maximum" -> {
        return new Located(pointer, "must be at most " + afterThan(message));
      }
      case "exclusiveMinimum" -> {
        return new Located(pointer, "must be greater than " + afterThan(message));
      }
      case "minLength" -> {
        return new Located(pointer, "must not be empty");
      }
      case "pattern" -> {
        return new Located(pointer, "does not have the expected format");
      }
      case "enum" -> {
        return new Located(
            pointer, message.replace("Instance does not match any of", "must be one of"));
      }
      case "properties", "items", "$ref", "allOf", "anyOf", "oneOf", "additionalItems" -> {
        // Wrappers around a nested error, which is reported too.
        return new Located(pointer, "is invalid", true);
      }
      default -> {
        return new Located(pointer, message.isEmpty() ? "is invalid" : lowerFirst(message));
      }
    }
  }

  private static String pointer(String location) {
    if (location == null) {
      return "";
    }
    String p = location.startsWith("#") ? location.substring(1) : location;
    return p.equals("/") ? "" : p;
  }

  private static int depth(String pointer) {
    return pointer.isEmpty() ? 0 : pointer.split("/", -1).length - 1;
  }

  private static String escape(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }

  /**
   * A JSON pointer as the client would name the field: {@code /deploy/app} → {@code deploy.app}.
   */
  static String field(String pointer) {
    StringBuilder out = new StringBuilder();
    if (pointer.isEmpty()) {
      return "";
    }
    for (String raw : pointer.substring(1).split("/", -1)) {
      String part = raw.replace("~1", "/").replace("~0", "~");
      if (!part.isEmpty() && part.chars().allMatch(Character::isDigit) && !out.isEmpty()) {
        out.append('[').append(part).append(']');
      } else {
        if (!out.isEmpty()) {
          out.append('.');
        }
        out.append(part);
      }
    }
    return out.toString();
  }

  // "5 is less than 7" → "7": the limit, never the client's value.
  private static String afterThan(String message) {
    int at = message.lastIndexOf(' ');
    return at < 0 ? message : message.substring(at + 1);
  }

  private static String lowerFirst(String s) {
    return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
  }
}
