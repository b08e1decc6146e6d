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
 * The search-index sink for OpenSearch and Elasticsearch: {@link io.dualwrite.opensearch.OpenSearchSink}.
 * The engine itself refuses stale writes (external versioning), a delete leaves a versioned
 * tombstone document that outlives the engine's own delete tombstones, and the sink is
 * reconcilable. See {@code docs/sinks-opensearch-kafka.md}.
 */
package io.dualwrite.opensearch;
