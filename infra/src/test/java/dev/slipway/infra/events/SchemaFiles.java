package dev.slipway.infra.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.slipway.infra.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Set;

/** Loads the JSON Schema files of event types from the classpath, as a consumer would. */
final class SchemaFiles {

  private static final JsonSchemaFactory FACTORY =
      JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

  // Format assertions are off by default in 2020-12; turned on so "date-time" is checked.
  private static final SchemaValidatorsConfig CONFIG =
      SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();

  private SchemaFiles() {}

  /** The schema file of an event record class, parsed as JSON. */
  static JsonNode tree(Class<?> eventClass) {
    try (InputStream in = open(eventClass)) {
      return Json.mapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The validator for an event record class. */
  static JsonSchema schema(Class<?> eventClass) {
    try (InputStream in = open(eventClass)) {
      return FACTORY.getSchema(in, CONFIG);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Set<ValidationMessage> validate(Class<?> eventClass, JsonNode data) {
    return schema(eventClass).validate(data);
  }

  private static InputStream open(Class<?> eventClass) {
    InputStream in = SchemaFiles.class.getResourceAsStream(Schemas.resource(eventClass));
    if (in == null) {
      throw new AssertionError(
          "no schema file " + Schemas.resource(eventClass) + " for " + eventClass.getName());
    }
    return in;
  }
}
