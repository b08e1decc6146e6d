/**
 * The operator's acts on a dualwrite primary, for any front end: the {@code dualwrite} command line, a Spring Boot
 * Actuator endpoint, an admin page. {@link io.dualwrite.mongo.operations.Operations} reads the backlog and leases,
 * lists, shows, replays and discards dead letters (with an audit record), and records and reads reconciliation
 * requests, all through the MongoDB database alone; what needs the application's sinks is done by the application's
 * own recovery worker and reconciliation request worker.
 */
package io.dualwrite.mongo.operations;
