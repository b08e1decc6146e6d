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

import io.dualwrite.mongo.IdType;
import org.bson.BsonObjectId;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.types.ObjectId;

import java.util.Objects;

/** Converts dualwrite's string ids to and from {@code _id} values. Thread-safe (stateless per type). */
public final class Ids {
    private final IdType type;

    /** @param type how ids are stored */
    public Ids(IdType type) {
        this.type = Objects.requireNonNull(type, "type");
    }

    /**
     * @param id an entity id
     * @return its {@code _id} value
     * @throws IllegalArgumentException if the id is not a valid ObjectId in {@link IdType#OBJECT_ID} mode
     */
    public BsonValue toBson(String id) {
        Objects.requireNonNull(id, "id");
        if (type == IdType.OBJECT_ID) {
            if (!ObjectId.isValid(id)) {
                throw new IllegalArgumentException("id '" + id + "' is not a 24-character hex ObjectId");
            }
            return new BsonObjectId(new ObjectId(id));
        }
        return new BsonString(id);
    }

    /**
     * The {@code _id} value of an id a write names: in {@link IdType#OBJECT_ID} mode only the ObjectId's lower-case
     * hex form is taken, because the sinks know an entity by the id the caller gives, and two spellings of one
     * ObjectId would be two entities there and one in the primary. Reads take any spelling (an id stored before
     * this rule, say), as {@link #toBson} does.
     *
     * @param id an entity id
     * @return its {@code _id} value
     * @throws IllegalArgumentException if the id is not a valid ObjectId, or not spelled in lower-case hex, in
     *                                  {@link IdType#OBJECT_ID} mode
     */
    public BsonValue toBsonForWrite(String id) {
        BsonValue value = toBson(id);
        if (value.isObjectId() && !value.asObjectId().getValue().toHexString().equals(id)) {
            throw new IllegalArgumentException("id '" + id + "' is an ObjectId spelled otherwise than its lower-case"
                    + " hex form '" + value.asObjectId().getValue().toHexString() + "', by which dualwrite knows it");
        }
        return value;
    }

    /**
     * @param value an {@code _id} value
     * @return the entity id
     * @throws IllegalArgumentException if the value is neither a string nor an ObjectId
     */
    public String fromBson(BsonValue value) {
        if (value.isString()) {
            return value.asString().getValue();
        }
        if (value.isObjectId()) {
            return value.asObjectId().getValue().toHexString();
        }
        throw new IllegalArgumentException("unsupported _id type " + value.getBsonType() + ": use string or ObjectId ids");
    }

    /** @return how ids are stored */
    public IdType type() {
        return type;
    }
}
