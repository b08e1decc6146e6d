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
package io.dualwrite.mongo.internal;

import com.mongodb.client.MongoCollection;
import io.dualwrite.mongo.IdType;
import io.dualwrite.mongo.events.EventRecorder;

import java.time.Duration;

/**
 * What an embedded-intent store is built from, checked by its builder. Immutable (the collection and the recorder it
 * names are the application's).
 *
 * @param collection          the entity collection
 * @param idType              how ids are stored in {@code _id}
 * @param maxRequestKeys      request keys remembered per entity
 * @param createIndexes       whether to create the indexes when the store is made
 * @param eventRecorder       records each commit's event in the same write, or null for none
 * @param revisionCacheBytes  the most bytes of documents the store remembers to write on without reading first,
 *                            0 to always read first
 * @param revisionCacheExpiry how long a remembered document is kept
 * @param <T>                 the entity type
 */
public record EmbeddedStoreSettings<T>(MongoCollection<T> collection, IdType idType, int maxRequestKeys,
                                       boolean createIndexes, EventRecorder eventRecorder, long revisionCacheBytes,
                                       Duration revisionCacheExpiry) {
}
