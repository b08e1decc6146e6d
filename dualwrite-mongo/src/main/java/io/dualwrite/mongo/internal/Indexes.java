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
import com.mongodb.client.model.IndexModel;
import com.mongodb.client.model.IndexOptions;
import io.dualwrite.mongo.DualWriteFilters;
import io.dualwrite.mongo.MongoPrimaryStore;
import org.bson.BsonDocument;
import org.bson.BsonInt32;

import java.util.ArrayList;
import java.util.List;

/** Creates the indexes the stores need, idempotently. Thread-safe (stateless). */
public final class Indexes {
    private Indexes() {
    }

    /**
     * Creates (or finds) the entity collection's indexes: due intents, leases and request keys.
     *
     * @param raw the entity collection
     * @return the index names
     */
    public static List<String> ensureEntityIndexes(MongoCollection<BsonDocument> raw) {
        List<IndexModel> models = new ArrayList<>();
        models.add(new IndexModel(new BsonDocument(DualWriteFilters.DUE, new BsonInt32(1)).append("_id", new BsonInt32(1)),
                new IndexOptions().name(MongoPrimaryStore.INDEX_DUE).sparse(true)));
        models.add(new IndexModel(new BsonDocument(Meta.LEASE_UNTIL_PATH, new BsonInt32(1)),
                new IndexOptions().name(MongoPrimaryStore.INDEX_LEASE).sparse(true)));
        models.add(new IndexModel(new BsonDocument(Meta.KEYS_PATH, new BsonInt32(1)),
                new IndexOptions().name(MongoPrimaryStore.INDEX_REQUEST_KEYS).sparse(true)));
        return raw.createIndexes(models);
    }

    /**
     * @param sink a sink name, used as a field name in the metadata
     * @throws IllegalArgumentException if it cannot be a MongoDB field name
     */
    public static void checkSinkName(String sink) {
        if (sink.isEmpty() || sink.startsWith("$") || sink.indexOf('.') >= 0 || sink.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("sink name '" + sink + "' cannot be stored in MongoDB: it must not be"
                    + " empty, start with '$' or contain '.'");
        }
    }
}
