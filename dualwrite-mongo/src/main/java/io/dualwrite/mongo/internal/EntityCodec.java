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

import io.dualwrite.ErrorClassifier;
import org.bson.BsonDocument;
import org.bson.BsonDocumentReader;
import org.bson.BsonDocumentWriter;
import org.bson.codecs.Codec;
import org.bson.codecs.DecoderContext;
import org.bson.codecs.EncoderContext;
import org.bson.codecs.configuration.CodecRegistry;

import java.util.Objects;

/**
 * Converts entities to and from BSON documents with the collection's own codec, so POJO codecs,
 * record codecs and plain {@code Document}s all work. Thread-safe if the codec is (driver codecs are).
 *
 * @param <T> the entity type
 */
public final class EntityCodec<T> {
    private final Codec<T> codec;

    /**
     * @param registry the collection's codec registry
     * @param type     the collection's document class
     * @throws org.bson.codecs.configuration.CodecConfigurationException if the registry has no codec for the type
     */
    public EntityCodec(CodecRegistry registry, Class<T> type) {
        this.codec = Objects.requireNonNull(registry, "registry").get(Objects.requireNonNull(type, "type"));
    }

    /**
     * @param entity an entity
     * @return its BSON form, {@code _id} included when the codec writes one
     */
    public BsonDocument encode(T entity) {
        BsonDocument doc = new BsonDocument();
        try (BsonDocumentWriter writer = new BsonDocumentWriter(doc)) {
            codec.encode(writer, entity, EncoderContext.builder().isEncodingCollectibleDocument(true).build());
        } catch (Error e) {
            // as in decode: one entity's Error (an assertion in a getter) is that entity's failure to encode, before
            // anything is sent; the JVM's own fatal errors still pass
            ErrorClassifier.rethrowIfFatal(e);
            throw new org.bson.codecs.configuration.CodecConfigurationException("the codec failed to encode the"
                    + " entity: " + e, e);
        }
        return doc;
    }

    /**
     * @param doc a stored document without dualwrite's metadata field
     * @return the entity
     */
    public T decode(BsonDocument doc) {
        try (BsonDocumentReader reader = new BsonDocumentReader(doc)) {
            return codec.decode(reader, DecoderContext.builder().build());
        } catch (Error e) {
            // an Error of the codec on one document (an entity class's own assertion, a recursive setter) is that
            // document's failure to decode, like any exception of the codec; the JVM's own fatal errors still pass
            ErrorClassifier.rethrowIfFatal(e);
            // a codec's failure, classified PERMANENT as the codec's own exceptions are
            throw new org.bson.codecs.configuration.CodecConfigurationException("the codec failed to decode the"
                    + " document: " + e, e);
        }
    }
}
