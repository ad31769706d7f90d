package dev.slipway.infra.events;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the CloudEvents {@code type} of an event record and the version of its JSON Schema. The
 * schema file is {@code /schemas/<type>.v<version>.json} in this jar.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface EventType {

  /** The CloudEvents type, {@code dev.slipway.<area>.<what>}. */
  String value();

  /** The schema version; bumped only for incompatible changes (additive changes keep it). */
  int version() default 1;
}
