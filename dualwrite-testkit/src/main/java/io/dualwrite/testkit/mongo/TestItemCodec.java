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

import io.dualwrite.testkit.TestItem;
import org.bson.BsonReader;
import org.bson.BsonType;
import org.bson.BsonWriter;
import org.bson.codecs.Codec;
import org.bson.codecs.DecoderContext;
import org.bson.codecs.EncoderContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Stores a {@link TestItem} in MongoDB as {@code {_id, name, price, tags}} and skips fields it
 * does not know (such as the primary store's own metadata), so a {@code MongoCollection<TestItem>}
 * can back a primary store or a sink in tests. Stateless and thread-safe.
 */
public final class TestItemCodec implements Codec<TestItem> {

    /**
     * @return this codec ahead of the driver's default codecs, for
     *         {@code database.withCodecRegistry(TestItemCodec.registry()).getCollection(name, TestItem.class)}
     */
    public static org.bson.codecs.configuration.CodecRegistry registry() {
        return org.bson.codecs.configuration.CodecRegistries.fromRegistries(
                org.bson.codecs.configuration.CodecRegistries.fromCodecs(new TestItemCodec()),
                com.mongodb.MongoClientSettings.getDefaultCodecRegistry());
    }
    @Override
    public void encode(BsonWriter w, TestItem item, EncoderContext context) {
        w.writeStartDocument();
        w.writeString("_id", item.id());
        w.writeString("name", item.name());
        w.writeInt64("price", item.price());
        w.writeStartArray("tags");
        item.tags().forEach(w::writeString);
        w.writeEndArray();
        w.writeEndDocument();
    }

    @Override
    public TestItem decode(BsonReader r, DecoderContext context) {
        String id = null;
        String name = null;
        long price = 0;
        List<String> tags = new ArrayList<>();
        r.readStartDocument();
        while (r.readBsonType() != BsonType.END_OF_DOCUMENT) {
            switch (r.readName()) {
                case "_id" -> id = r.readString();
                case "name" -> name = r.readString();
                case "price" -> price = r.readInt64();
                case "tags" -> {
                    r.readStartArray();
                    while (r.readBsonType() != BsonType.END_OF_DOCUMENT) {
                        tags.add(r.readString());
                    }
                    r.readEndArray();
                }
                default -> r.skipValue();
            }
        }
        r.readEndDocument();
        return new TestItem(id, name, price, tags);
    }

    @Override
    public Class<TestItem> getEncoderClass() {
        return TestItem.class;
    }
}
