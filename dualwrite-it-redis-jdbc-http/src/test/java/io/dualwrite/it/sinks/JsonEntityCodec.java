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
package io.dualwrite.it.sinks;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bson.BsonDocument;
import org.bson.BsonReader;
import org.bson.BsonWriter;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.Codec;
import org.bson.codecs.DecoderContext;
import org.bson.codecs.EncoderContext;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;

/**
 * Stores any entity Jackson can map, with its {@code id} property as the document's {@code _id};
 * fields the entity does not know (the primary store's own) are ignored when reading.
 *
 * @param <T> the entity type
 */
final class JsonEntityCodec<T> implements Codec<T> {
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final JsonWriterSettings RELAXED = JsonWriterSettings.builder().outputMode(JsonMode.RELAXED).build();
    private final Class<T> type;
    private final BsonDocumentCodec documents = new BsonDocumentCodec();

    JsonEntityCodec(Class<T> type) {
        this.type = type;
    }

    @Override
    public void encode(BsonWriter writer, T value, EncoderContext context) {
        ObjectNode tree = JSON.valueToTree(value);
        tree.set("_id", tree.remove("id"));
        documents.encode(writer, BsonDocument.parse(tree.toString()), context);
    }

    @Override
    public T decode(BsonReader reader, DecoderContext context) {
        BsonDocument doc = documents.decode(reader, context);
        try {
            ObjectNode tree = (ObjectNode) JSON.readTree(doc.toJson(RELAXED));
            tree.set("id", tree.remove("_id"));
            return JSON.treeToValue(tree, type);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read a " + type.getSimpleName() + " from " + doc.get("_id"), e);
        }
    }

    @Override
    public Class<T> getEncoderClass() {
        return type;
    }
}
