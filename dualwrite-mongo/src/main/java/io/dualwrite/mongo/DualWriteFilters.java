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
package io.dualwrite.mongo;

import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import org.bson.conversions.Bson;

/**
 * Filters (and an update) for the application's own queries on a collection that {@link MongoPrimaryStore}
 * manages. A deleted entity stays in the collection as a tombstone (its {@code _id} and the
 * {@value #FIELD} field, no other fields) until every sink has acknowledged the delete; add
 * {@link #notDeleted()} to queries that must not see it:
 *
 * <pre>{@code
 * products.find(Filters.and(DualWriteFilters.notDeleted(), Filters.eq("category", "tea")));
 * }</pre>
 * Thread-safe (stateless).
 */
public final class DualWriteFilters {
    /** The field that holds dualwrite's metadata in every managed document. */
    public static final String FIELD = "_dw";
    /** The metadata field that marks a tombstone. */
    public static final String DELETED = FIELD + ".deleted";
    /** The metadata field that holds the entity's version. */
    public static final String VERSION = FIELD + ".v";
    /** The metadata field that holds the earliest due time of the pending intents (absent when none is pending). */
    public static final String DUE = FIELD + ".due";

    private DualWriteFilters() {
    }

    /** @return matches live entities, leaving out tombstones of pending deletes */
    public static Bson notDeleted() {
        return Filters.ne(DELETED, true);
    }

    /** @return matches only tombstones of deletes that some sink has not acknowledged yet */
    public static Bson deleted() {
        return Filters.eq(DELETED, true);
    }

    /**
     * The update to add to a write that changes a managed document (one with a {@value #FIELD} field) without going
     * through the store (an {@code updateOne} of your own): it moves the document's revision on, so that every store
     * instance that remembers the document reads it again before writing on it. Leave it out of writes to documents
     * the store does not manage yet. A delete of your own, or a replace that leaves {@value #FIELD} out, needs nothing:
     * the document's next life is told from the one an instance remembers by the token of its last commit.
     *
     * <pre>{@code
     * products.updateOne(Filters.eq("_id", id), Updates.combine(Updates.set("stock", 0), DualWriteFilters.touch()));
     * }</pre>
     *
     * @return {@code $inc} of the revision
     */
    public static Bson touch() {
        return Updates.inc(FIELD + ".rev", 1L);
    }

    /** @return matches entities with at least one intent still pending */
    public static Bson pending() {
        return Filters.exists(DUE);
    }
}
