package dev.slipway.infra.events;

/** Where the JSON Schema of each event type lives: in this jar, and under a stable URI. */
public final class Schemas {

  /** The base of every {@code dataschema} URI. */
  public static final String BASE_URI = "https://slipway.dev/schemas/";

  private Schemas() {}

  /** The schema file name, e.g. {@code dev.slipway.build.requested.v1.json}. */
  public static String fileName(Class<?> eventClass) {
    EventType annotation = eventClass.getAnnotation(EventType.class);
    return EventType.of(eventClass) + ".v" + annotation.version() + ".json";
  }

  /** The classpath resource holding the schema. */
  public static String resource(Class<?> eventClass) {
    return "/schemas/" + fileName(eventClass);
  }

  /** The {@code dataschema} URI; also the schema's {@code $id}. */
  public static String uriOf(Class<?> eventClass) {
    return BASE_URI + fileName(eventClass);
  }
}
