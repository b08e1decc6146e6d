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
package io.dualwrite.spring.boot.internal;

import org.bson.BsonReader;
import org.bson.BsonWriter;
import org.bson.Document;
import org.bson.codecs.Codec;
import org.bson.codecs.DecoderContext;
import org.bson.codecs.EncoderContext;
import org.springframework.data.mongodb.core.convert.MongoConverter;

import java.util.Objects;

/**
 * A driver codec for one entity class that maps through Spring Data's {@link MongoConverter}, so a collection read or
 * written with it sees the documents Spring Data writes: {@code @Id}, {@code @Field}, {@code @Version}, custom
 * conversions and the type hint included. Thread-safe as the converter is.
 *
 * @param <T> the entity type
 */
public final class MappingConverterCodec<T> implements Codec<T> {
    private final Class<T> type;
    private final MongoConverter converter;
    private final Codec<Document> documents;

    /**
     * @param type      the entity class
     * @param converter the application's converter
     * @param documents the codec of the documents the converter reads and writes
     */
    public MappingConverterCodec(Class<T> type, MongoConverter converter, Codec<Document> documents) {
        this.type = Objects.requireNonNull(type, "type");
        this.converter = Objects.requireNonNull(converter, "converter");
        this.documents = Objects.requireNonNull(documents, "documents");
    }

    @Override
    public void encode(BsonWriter writer, T value, EncoderContext context) {
        Document document = new Document();
        converter.write(value, document);
        documents.encode(writer, document, context);
    }

    @Override
    public T decode(BsonReader reader, DecoderContext context) {
        return converter.read(type, documents.decode(reader, context));
    }

    @Override
    public Class<T> getEncoderClass() {
        return type;
    }
}
