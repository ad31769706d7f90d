package dev.slipway.infra.events;

/**
 * The data of one CloudEvent on a Slipway topic. Every implementation is a record carrying an
 * {@link EventType} annotation, and belongs to exactly one topic's sealed interface.
 */
public interface SlipwayEvent {

  /** The CloudEvents {@code type} of this event, e.g. {@code dev.slipway.build.requested}. */
  default String type() {
    return Schemas.typeOf(getClass());
  }

  /**
   * The Kafka record key that orders this event with its kin: the build id, app name, container id
   * or credential name, as its topic in {@link Topics} says.
   */
  String key();
}
