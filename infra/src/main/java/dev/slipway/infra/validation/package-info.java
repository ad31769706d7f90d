/**
 * Rules for untrusted input that more than one service enforces: the gateway rejects a bad request
 * before publishing it, and the builder checks again before it touches git or Docker, because a
 * command on Kafka may come from any producer.
 */
package dev.slipway.infra.validation;
