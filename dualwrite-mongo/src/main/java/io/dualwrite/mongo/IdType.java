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

/**
 * How entity ids (always strings in dualwrite) are stored in MongoDB's {@code _id}. Thread-safe
 * (an enum).
 */
public enum IdType {
    /** {@code _id} is the id string itself (the default). */
    STRING,
    /**
     * {@code _id} is an {@link org.bson.types.ObjectId}; dualwrite ids are its 24-character
     * lower-case hex form, so their string order is the ObjectId order.
     */
    OBJECT_ID
}
