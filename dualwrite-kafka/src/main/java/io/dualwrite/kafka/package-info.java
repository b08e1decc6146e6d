/*
 * Copyright The dualwrite authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */
/**
 * The Kafka sink and its consumer half. {@link io.dualwrite.kafka.KafkaSink} publishes each
 * entity's state keyed by its id with CloudEvents headers ({@link io.dualwrite.kafka.KafkaHeaders});
 * because a log cannot refuse an older version, consumers wrap their handler in a
 * {@link io.dualwrite.kafka.VersionGuard}, which drops duplicates and stale records per key using
 * an {@link io.dualwrite.kafka.AppliedVersionStore}. {@link io.dualwrite.kafka.VersionedTopicView}
 * is a guarded, materialised view of a whole topic. See {@code docs/sinks-opensearch-kafka.md}.
 */
package io.dualwrite.kafka;
