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
package io.dualwrite.testkit.mongo;

import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.Document;

import java.util.List;
import java.util.regex.Pattern;

/**
 * mongo-java-server's memory backend, except that a query naming one {@code _id} value among other
 * conditions ({@code {_id: x, version: 3}}, or the same under {@code $and}) is answered from the {@code _id}
 * index, as MongoDB answers it,
 * instead of by a scan of the whole collection. The memory backend uses an index only for a query on
 * exactly the index's fields, so every conditional update by id walked every document. What the query
 * matches is unchanged: the one document the index names is still checked against the whole query.
 */
final class IdIndexedMemoryBackend extends MemoryBackend {
    private static final String ID = "_id";

    @Override
    public MemoryDatabase openOrCreateDatabase(String databaseName) {
        return new IdIndexedDatabase(databaseName, getCursorRegistry());
    }

    /** A memory database whose collections are {@link IdIndexedCollection}s. */
    private static final class IdIndexedDatabase extends MemoryDatabase {
        private final CursorRegistry cursors;

        IdIndexedDatabase(String name, CursorRegistry cursors) {
            super(name, cursors);
            this.cursors = cursors;
        }

        @Override
        protected MemoryCollection openOrCreateCollection(String collectionName, CollectionOptions options) {
            return new IdIndexedCollection(this, collectionName, options, cursors);
        }
    }

    /** A memory collection that looks up a query's plain {@code _id} value in the {@code _id} index. */
    private static final class IdIndexedCollection extends MemoryCollection {
        IdIndexedCollection(MemoryDatabase database, String name, CollectionOptions options, CursorRegistry cursors) {
            super(database, name, options, cursors);
        }

        @Override
        protected QueryResult queryDocuments(Document query, Document orderBy, int skip, int limit, int batchSize,
                                             Document fieldSelector) {
            Object id = idNamedBy(query);
            if (id != null) {
                Document byId = new Document(ID, id);
                for (Index<Integer> index : getIndexes()) {
                    if (index.getKeys().size() == 1 && ID.equals(index.getKeys().get(0).getKey())
                            && index.canHandle(byId)) {
                        return matchDocuments(query, index.getPositions(byId), orderBy, skip, limit, batchSize,
                                fieldSelector);
                    }
                }
            }
            return super.queryDocuments(query, orderBy, skip, limit, batchSize, fieldSelector);
        }

        /**
         * @return the one {@code _id} value every document the query matches must have: a plain {@code _id}
         *         condition at the top of the query or of a top-level {@code $and}; null when there is none
         */
        private static Object idNamedBy(Document query) {
            Object id = query.get(ID);
            if (isPlainValue(id)) {
                return id;
            }
            if (query.get("$and") instanceof List<?> all) {
                for (Object part : all) {
                    if (part instanceof Document d) {
                        Object named = idNamedBy(d);
                        if (named != null) {
                            return named;
                        }
                    }
                }
            }
            return null;
        }

        /** @return true for a value an {@code _id} equals (not null, not a regular expression, not an operator document such as {@code $in}) */
        private static boolean isPlainValue(Object value) {
            if (value == null || value instanceof Pattern || value instanceof BsonRegularExpression) {
                return false;
            }
            if (value instanceof Document d) {
                for (String key : d.keySet()) {
                    if (key.startsWith("$")) {
                        return false;
                    }
                }
            }
            return true;
        }
    }
}
