/**
 * A Kafka broker inside the test JVM ({@link io.dualwrite.testkit.kafka.EmbeddedKafka}), for the
 * Kafka sink's tests, users' own tests and demos. Needs the optional broker dependency on the
 * test classpath (see the class's javadoc).
 */
package io.dualwrite.testkit.kafka;
