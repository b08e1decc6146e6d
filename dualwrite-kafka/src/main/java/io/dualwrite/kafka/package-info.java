/**
 * The Kafka sink and its consumer half. {@link io.dualwrite.kafka.KafkaSink} publishes each
 * entity's state keyed by its id with CloudEvents headers ({@link io.dualwrite.kafka.KafkaHeaders});
 * because a log cannot refuse an older version, consumers wrap their handler in a
 * {@link io.dualwrite.kafka.VersionGuard}, which drops duplicates and stale records per key using
 * an {@link io.dualwrite.kafka.AppliedVersionStore}. {@link io.dualwrite.kafka.VersionedTopicView}
 * is a guarded, materialised view of a whole topic. See {@code docs/sinks-opensearch-kafka.md}.
 */
package io.dualwrite.kafka;
