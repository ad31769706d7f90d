package dev.slipway.infra.events;

/** Where the JSON Schema of each event type lives: in this jar, and under a stable URI. */
public final class Schemas {

  /** The base of every {@code dataschema} URI. */
  public static final String BASE_URI = "https://slipway.dev/schemas/";

  private Schemas() {}

  /** The CloudEvents type of a record class annotated with {@link EventType}. */
  public static String typeOf(Class<?> eventClass) {
    EventType annotation = eventClass.getAnnotation(EventType.class);
    if (annotation == null) {
      throw new IllegalStateException(eventClass.getName() + " has no @EventType");
    }
    return annotation.value();
  }

  /** The schema file name, e.g. {@code dev.slipway.build.requested.v1.json}. */
  public static String fileName(Class<?> eventClass) {
    EventType annotation = eventClass.getAnnotation(EventType.class);
    return typeOf(eventClass) + ".v" + annotation.version() + ".json";
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
