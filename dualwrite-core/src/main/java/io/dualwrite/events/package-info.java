/**
 * The event envelope: every change published as an event (by the embedded-event relay, the
 * change-stream relay or a broker sink) wears one versioned envelope with the CloudEvents 1.0
 * attributes, the entity version and the schema version, and has a structured-mode CloudEvents
 * JSON form that any CloudEvents SDK reads. Consumers deduplicate by {@code id} and order by
 * {@code entityversion} per {@code subject}.
 */
package io.dualwrite.events;
