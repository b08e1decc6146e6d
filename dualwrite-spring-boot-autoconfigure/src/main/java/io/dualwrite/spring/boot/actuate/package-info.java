/**
 * The {@code dualwrite} Spring Boot Actuator endpoint: the backlog, dead letters (list, show, replay, discard) and
 * reconciliation requests of the running application, over {@link io.dualwrite.mongo.operations.Operations}.
 * Configured only where the application has Actuator, and reachable only where the application exposes it.
 */
package io.dualwrite.spring.boot.actuate;
