package io.dualwrite.it;

import io.dualwrite.testkit.TestItem;
import org.bson.BsonReader;
import org.bson.BsonType;
import org.bson.BsonWriter;
import org.bson.codecs.Codec;
import org.bson.codecs.DecoderContext;
import org.bson.codecs.EncoderContext;

import java.util.ArrayList;
import java.util.List;

/** Stores a {@link TestItem} as {@code {_id, name, price, tags}}; skips fields it does not know (the store's own). */
final class TestItemCodec implements Codec<TestItem> {
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
