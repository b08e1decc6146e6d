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
package io.dualwrite.testkit.explore;

import org.bson.BsonReader;
import org.bson.BsonType;
import org.bson.BsonWriter;
import org.bson.codecs.Codec;
import org.bson.codecs.DecoderContext;
import org.bson.codecs.EncoderContext;
import org.bson.codecs.configuration.CodecRegistries;
import org.bson.codecs.configuration.CodecRegistry;

import java.util.Objects;

/**
 * The entity the explorer's own schedules write: an id, the tag of the write that made it, and a
 * stock count that may be unset. Its MongoDB codec ({@link #codecRegistry()}) is deliberately
 * lossy the way many real codecs are: an unset stock is left out of the document and read back as
 * 0, so the state a store commits can differ from the object the caller saved (a POJO codec that
 * skips nulls, a field with a default). Immutable and thread-safe.
 *
 * @param id    the entity id, not null
 * @param tag   the tag of the write that made this state, not null
 * @param stock a stock count, or null when unset
 */
public record ExplorerItem(String id, String tag, Integer stock) {

    /** The model the explorer uses for this type: variant 0 sets the stock, variant 1 leaves it unset. */
    public static final EntityModel<ExplorerItem> MODEL = new EntityModel<>() {
        @Override
        public ExplorerItem create(String id, String tag, int variant) {
            return new ExplorerItem(id, tag, variant == 0 ? 1 + Math.floorMod(tag.hashCode(), 9) : null);
        }

        @Override
        public String tagOf(ExplorerItem state) {
            return state.tag();
        }
    };

    /**
     * @param id the {@code id} component
     * @param tag the {@code tag} component
     * @param stock the {@code stock} component
     * @throws NullPointerException if id or tag is null
     */
    public ExplorerItem {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(tag, "tag");
    }

    /**
     * @return this type's codec ahead of the driver's defaults, for
     *         {@code database.withCodecRegistry(ExplorerItem.codecRegistry()).getCollection(name, ExplorerItem.class)}
     */
    public static CodecRegistry codecRegistry() {
        return CodecRegistries.fromRegistries(CodecRegistries.fromCodecs(new ItemCodec()),
                com.mongodb.MongoClientSettings.getDefaultCodecRegistry());
    }

    /** {@code {_id, tag, stock}}, stock only when set; unknown fields (a store's metadata) are skipped. */
    private static final class ItemCodec implements Codec<ExplorerItem> {
        @Override
        public void encode(BsonWriter w, ExplorerItem item, EncoderContext context) {
            w.writeStartDocument();
            w.writeString("_id", item.id());
            w.writeString("tag", item.tag());
            if (item.stock() != null) {
                w.writeInt32("stock", item.stock());
            }
            w.writeEndDocument();
        }

        @Override
        public ExplorerItem decode(BsonReader r, DecoderContext context) {
            String id = null;
            String tag = null;
            int stock = 0;
            r.readStartDocument();
            while (r.readBsonType() != BsonType.END_OF_DOCUMENT) {
                switch (r.readName()) {
                    case "_id" -> id = r.readString();
                    case "tag" -> tag = r.readString();
                    case "stock" -> stock = r.readInt32();
                    default -> r.skipValue();
                }
            }
            r.readEndDocument();
            return new ExplorerItem(id, tag, stock);
        }

        @Override
        public Class<ExplorerItem> getEncoderClass() {
            return ExplorerItem.class;
        }
    }
}
