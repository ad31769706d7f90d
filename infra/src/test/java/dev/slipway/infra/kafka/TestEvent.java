package dev.slipway.infra.kafka;

import dev.slipway.infra.events.EventType;
import dev.slipway.infra.events.SlipwayEvent;
import dev.slipway.infra.events.Topic;

/** A topic's worth of events for testing the plumbing itself. */
sealed interface TestEvent extends SlipwayEvent {

  Topic<TestEvent> TOPIC = new Topic<>("plumbing", TestEvent.class, false);

  @EventType("dev.slipway.test.ping")
  record Ping(String key, int n) implements TestEvent {}
}
