/**
 * Events recorded with the data: {@link io.dualwrite.mongo.events.EmbeddedEvents} makes the
 * MongoDB primary store append each committed write's event (with the entity's state at that
 * version) to the entity's own document in the same single-document write, and
 * {@link io.dualwrite.mongo.events.EmbeddedEventRelay} publishes every entity's events in version
 * order to event sinks, exactly once in effect, and removes them once delivered.
 */
package io.dualwrite.mongo.events;
