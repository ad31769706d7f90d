package dev.slipway.infra.events;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A Kafka topic and the sealed interface of the events it carries.
 *
 * @param name the topic name
 * @param eventClass the sealed interface every record on the topic implements
 * @param compacted whether the topic is log-compacted (latest value per key kept forever)
 */
public record Topic<T extends SlipwayEvent>(String name, Class<T> eventClass, boolean compacted) {

  /** The event record classes this topic may carry, by CloudEvents type. */
  public Map<String, Class<? extends T>> eventTypes() {
    Map<String, Class<? extends T>> types = new LinkedHashMap<>();
    Arrays.stream(eventClass.getPermittedSubclasses())
        .forEach(c -> types.put(Schemas.typeOf(c), c.asSubclass(eventClass)));
    return types;
  }

  /** The record class for a CloudEvents type on this topic, if it is one of this topic's. */
  public Optional<Class<? extends T>> classFor(String type) {
    return Optional.ofNullable(eventTypes().get(type));
  }

  /** The same topic under another name, e.g. a random one per test or a prefixed one. */
  public Topic<T> withName(String newName) {
    return new Topic<>(newName, eventClass, compacted);
  }
}
