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

import com.mongodb.ReadPreference;
import com.mongodb.client.MongoCollection;

/**
 * What the library reads it reads from the primary, whatever read preference the application's client, database or
 * collection carries: a secondary lags behind the writes, and a fence, a lease, a claim or an entity's revision read
 * from one could be older than what this instance wrote a moment ago (a completed report read back as an earlier
 * execution's, a lease read as still free). The application's own reads keep their preference: only the library's
 * view of a collection is changed. Thread-safe (stateless).
 */
public final class OnPrimary {
    private OnPrimary() {
    }

    /**
     * @param collection a collection the library reads
     * @param <D>        its document class
     * @return the same collection when it already reads from the primary, else a view of it that does
     */
    public static <D> MongoCollection<D> of(MongoCollection<D> collection) {
        return ReadPreference.primary().equals(collection.getReadPreference()) ? collection
                : collection.withReadPreference(ReadPreference.primary());
    }
}
