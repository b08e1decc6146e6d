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
import de.bwaldvogel.mongo.backend.QueryParameters;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.Oplog;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * mongo-java-server's memory backend, except that a query naming one {@code _id} value or an {@code $in}
 * of them among other conditions ({@code {_id: x, version: 3}}, {@code {_id: {$in: [x, y]}, due: ...}}, or
 * the same under {@code $and}) is answered from the {@code _id} index, as MongoDB answers it, instead
 * of by a scan of the whole collection. The memory backend uses an index only for a query on exactly
 * the index's fields, so every conditional update by id walked every document. What the query matches
 * is unchanged: each document the index names is still checked against the whole query, in the order
 * the scan would have met them, and an {@code _id} value that the memory backend reads as a condition
 * is left to the scan. A find-and-modify replies with a copy of the document made while the update held the
 * collection, so that concurrent updates of one document each reply what they left, and a query replies with copies
 * made while it held the collection, so that it never sees half of an update: as on MongoDB.
 */
final class IdIndexedMemoryBackend extends MemoryBackend {
    private static final String ID = "_id";
    /** Set while a query runs on this thread: its results are copied (see {@code handleQuery}). */
    private static final ThreadLocal<Boolean> READING = new ThreadLocal<>();
    /** Set while a find-and-modify or a delete runs on this thread: the query it makes returns the stored documents. */
    private static final ThreadLocal<Boolean> MODIFYING = new ThreadLocal<>();

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

    /** A memory collection that looks up the {@code _id} values a query names in the {@code _id} index. */
    private static final class IdIndexedCollection extends MemoryCollection {
        IdIndexedCollection(MemoryDatabase database, String name, CollectionOptions options, CursorRegistry cursors) {
            super(database, name, options, cursors);
        }

        /**
         * The memory backend's reply to a find-and-modify carries the stored document itself, which the server
         * encodes after the collection's lock is released: a concurrent update of the same document could change
         * it in between, and two increments then replied the same value. The reply is copied under the lock, so it
         * holds the document exactly as this update left it (or found it), as MongoDB replies.
         */
        @Override
        public synchronized Document findAndModify(Document query) {
            // it finds its document through a query, and changes the stored one it finds
            Boolean outer = MODIFYING.get();
            MODIFYING.set(Boolean.TRUE);
            try {
                Document reply = super.findAndModify(query);
                return reply == null ? null : reply.cloneDeeply();
            } finally {
                MODIFYING.set(outer);
            }
        }

        @Override
        public synchronized int deleteDocuments(Document selector, int limit, Oplog oplog) {
            // it finds its documents through a query, and removes the stored ones it finds
            Boolean outer = MODIFYING.get();
            MODIFYING.set(Boolean.TRUE);
            try {
                return super.deleteDocuments(selector, limit, oplog);
            } finally {
                MODIFYING.set(outer);
            }
        }

        /**
         * A query (a find, its later batches, an aggregation's reading of the collection, a count) replies with
         * copies of the documents it matched, made while it holds the collection. The memory backend hands out the
         * stored documents themselves, which an update changes in place while the server encodes them, so a read
         * could see half of an update. Updates find their documents through the same matching but not through this
         * method (or, for a find-and-modify and a delete, through it with the copy turned off), and keep changing the
         * stored ones.
         */
        @Override
        public synchronized QueryResult handleQuery(QueryParameters query) {
            Boolean outer = READING.get();
            READING.set(Boolean.TRUE);
            try {
                return super.handleQuery(query);
            } finally {
                READING.set(outer); // a query inside another leaves the outer one's setting as it was
            }
        }

        @Override
        protected QueryResult createQueryResult(List<Document> matched, int batchSize) {
            if (READING.get() == null || MODIFYING.get() != null) {
                return super.createQueryResult(matched, batchSize);
            }
            List<Document> copies = new ArrayList<>(matched.size());
            for (Document d : matched) {
                copies.add(d.cloneDeeply());
            }
            return super.createQueryResult(copies, batchSize);
        }

        @Override
        protected QueryResult queryDocuments(Document query, Document orderBy, int skip, int limit, int batchSize,
                                             Document fieldSelector) {
            List<?> ids = idsNamedBy(query);
            Index<Integer> idIndex = ids == null ? null : idIndex();
            if (idIndex != null) {
                // positions in ascending order: the order in which the scan would have met the documents
                TreeSet<Integer> positions = new TreeSet<>();
                for (Object id : ids) {
                    Document byId = new Document(ID, id);
                    if (!idIndex.canHandle(byId)) {
                        return super.queryDocuments(query, orderBy, skip, limit, batchSize, fieldSelector);
                    }
                    idIndex.getPositions(byId).forEach(positions::add);
                }
                return matchDocuments(query, positions, orderBy, skip, limit, batchSize, fieldSelector);
            }
            return super.queryDocuments(query, orderBy, skip, limit, batchSize, fieldSelector);
        }

        /** @return the collection's index on {@code _id} alone, or null */
        private Index<Integer> idIndex() {
            for (Index<Integer> index : getIndexes()) {
                if (index.getKeys().size() == 1 && ID.equals(index.getKeys().get(0).getKey())) {
                    return index;
                }
            }
            return null;
        }

        /**
         * @return the {@code _id} values that every document the query matches must have one of: a plain
         *         {@code _id} value, or an {@code $in} of plain values, at the top of the query or of a top-level
         *         {@code $and}; null when the query names no such values
         */
        private static List<?> idsNamedBy(Document query) {
            Object id = query.get(ID);
            if (isPlainValue(id)) {
                return List.of(id);
            }
            if (id instanceof Document d && d.size() == 1 && d.get("$in") instanceof Collection<?> in
                    && in.stream().allMatch(IdIndexedCollection::isPlainValue)) {
                return new ArrayList<>(in);
            }
            if (query.get("$and") instanceof List<?> all) {
                for (Object part : all) {
                    if (part instanceof Document d) {
                        List<?> named = idsNamedBy(d);
                        if (named != null) {
                            return named;
                        }
                    }
                }
            }
            return null;
        }

        /**
         * @return true for a value that a stored {@code _id} can only equal, so that the index answers for it
         *         exactly as a scan would: not null, not a regular expression, and, for a document or a list, the
         *         same at every depth, with no empty document and no key starting with {@code $} (the memory
         *         backend's matcher reads such documents as conditions)
         */
        private static boolean isPlainValue(Object value) {
            if (value == null || value instanceof Pattern || value instanceof BsonRegularExpression) {
                return false;
            }
            if (value instanceof Document d) {
                if (d.isEmpty()) {
                    return false;
                }
                for (Map.Entry<String, Object> e : d.entrySet()) {
                    if (e.getKey().startsWith("$") || !isPlainValue(e.getValue())) {
                        return false;
                    }
                }
            }
            if (value instanceof Collection<?> list) {
                return list.stream().allMatch(IdIndexedCollection::isPlainValue);
            }
            return true;
        }
    }
}
