/**
 * The search-index sink for OpenSearch and Elasticsearch: {@link io.dualwrite.opensearch.OpenSearchSink}.
 * The engine itself refuses stale writes (external versioning), a delete leaves a versioned
 * tombstone document that outlives the engine's own delete tombstones, and the sink is
 * reconcilable. See {@code docs/sinks-opensearch-kafka.md}.
 */
package io.dualwrite.opensearch;
