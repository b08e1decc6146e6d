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

import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.BsonDocument;
import org.bson.BsonReader;
import org.bson.BsonWriter;
import org.bson.Document;
import org.bson.codecs.Codec;
import org.bson.codecs.DecoderContext;
import org.bson.codecs.EncoderContext;
import org.bson.codecs.configuration.CodecProvider;
import org.bson.codecs.configuration.CodecRegistries;
import org.bson.codecs.configuration.CodecRegistry;
import org.bson.codecs.pojo.annotations.BsonDiscriminator;
import org.bson.codecs.pojo.annotations.BsonId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Which entity classes the Mongo stores accept at build: a POJO whose id the POJO codec writes as {@code _id}
 * however it is declared (in a superclass, on a getter and setter, in a discriminated hierarchy), any class the
 * application maps with a codec of its own, and plain documents; and which they refuse.
 */
@ExtendWith(MongoExtension.class)
class IdMappingEdgeCasesTest {

    /** A base class holding the id. */
    public static class Base {
        @BsonId
        public String key;
    }

    /** A POJO whose id is the superclass's {@code @BsonId} field. */
    public static final class Derived extends Base {
        public String name;
    }

    /** A POJO whose id is annotated on its getter, with a setter. */
    public static final class AccessorId {
        private String code;
        private String name;

        @BsonId
        public String getCode() {
            return code;
        }

        public void setCode(String code) {
            this.code = code;
        }

        public String getName() {
            return name;
        }

        public void setName(String name) {
            this.name = name;
        }
    }

    /** An abstract discriminated base whose id is a {@code @BsonId} property. */
    @BsonDiscriminator
    public abstract static class Animal {
        @BsonId
        public String tag;
    }

    /** A concrete subtype. */
    @BsonDiscriminator
    public static final class Dog extends Animal {
        public String bark;
    }

    /** A generic base whose type parameter is the id. */
    public static class Keyed<K> {
        @BsonId
        public K key;
    }

    /** A POJO keyed by a generic superclass's id. */
    public static final class LongKeyed extends Keyed<Long> {
        public String name;
    }

    /** A class with nothing named id, mapped by the application's own codec (which writes {@code _id}). */
    public static final class OwnCodecEntity {
        public String sku;
    }

    /** The application's codec of {@link OwnCodecEntity}: its sku is the document's {@code _id}. */
    static final class OwnCodec implements Codec<OwnCodecEntity> {
        @Override
        public OwnCodecEntity decode(BsonReader reader, DecoderContext ctx) {
            reader.readStartDocument();
            OwnCodecEntity e = new OwnCodecEntity();
            e.sku = reader.readString("_id");
            reader.readEndDocument();
            return e;
        }

        @Override
        public void encode(BsonWriter writer, OwnCodecEntity value, EncoderContext ctx) {
            writer.writeStartDocument();
            writer.writeString("_id", value.sku);
            writer.writeEndDocument();
        }

        @Override
        public Class<OwnCodecEntity> getEncoderClass() {
            return OwnCodecEntity.class;
        }
    }

    /** A record without {@code @BsonId}, mapped by the application's own codec. */
    public record OwnCodecRecord(String sku) {
    }

    private static <T> MongoCollection<T> collection(MongoDatabase db, Class<T> type, CodecRegistry codecs) {
        return db.getCollection(Collections.uniqueName(type.getSimpleName()), type).withCodecRegistry(codecs);
    }

    private static void assertAcceptedByBothStores(MongoDatabase db, MongoCollection<?> c) {
        MongoPrimaryStore.builder(c).build();
        MongoWriteAheadStore.builder(db, c).build();
    }

    @Test
    void aPojoWhoseBsonIdIsInItsSuperclassIsAccepted(MongoDatabase db) {
        assertAcceptedByBothStores(db, collection(db, Derived.class, Collections.POJOS));
    }

    @Test
    void aPojoWithBsonIdOnItsGetterIsAccepted(MongoDatabase db) {
        assertAcceptedByBothStores(db, collection(db, AccessorId.class, Collections.POJOS));
    }

    @Test
    void aDiscriminatedAbstractBaseAndItsSubtypeAreAccepted(MongoDatabase db) {
        assertAcceptedByBothStores(db, collection(db, Animal.class, Collections.POJOS));
        assertAcceptedByBothStores(db, collection(db, Dog.class, Collections.POJOS));
    }

    @Test
    void aPojoKeyedByAGenericSuperclassIdIsAccepted(MongoDatabase db) {
        assertAcceptedByBothStores(db, collection(db, LongKeyed.class, Collections.POJOS));
    }

    @Test
    void aClassMappedByTheApplicationsOwnCodecIsNeverRefused(MongoDatabase db) {
        CodecRegistry own = CodecRegistries.fromRegistries(CodecRegistries.fromCodecs(new OwnCodec()), Collections.POJOS);
        assertAcceptedByBothStores(db, collection(db, OwnCodecEntity.class, own));
    }

    @Test
    void aClassResolvedByTheApplicationsOwnProviderIsNeverRefused(MongoDatabase db) {
        CodecProvider provider = new CodecProvider() {
            @Override
            @SuppressWarnings("unchecked")
            public <T> Codec<T> get(Class<T> clazz, CodecRegistry registry) {
                return clazz == OwnCodecEntity.class ? (Codec<T>) new OwnCodec() : null;
            }
        };
        CodecRegistry own = CodecRegistries.fromRegistries(CodecRegistries.fromProviders(provider), Collections.POJOS);
        assertAcceptedByBothStores(db, collection(db, OwnCodecEntity.class, own));
    }

    @Test
    void aRecordMappedByTheApplicationsOwnCodecIsNeverRefused(MongoDatabase db) {
        Codec<OwnCodecRecord> codec = new Codec<>() {
            @Override
            public OwnCodecRecord decode(BsonReader reader, DecoderContext ctx) {
                reader.readStartDocument();
                OwnCodecRecord r = new OwnCodecRecord(reader.readString("_id"));
                reader.readEndDocument();
                return r;
            }

            @Override
            public void encode(BsonWriter writer, OwnCodecRecord value, EncoderContext ctx) {
                writer.writeStartDocument();
                writer.writeString("_id", value.sku());
                writer.writeEndDocument();
            }

            @Override
            public Class<OwnCodecRecord> getEncoderClass() {
                return OwnCodecRecord.class;
            }
        };
        CodecRegistry own = CodecRegistries.fromRegistries(CodecRegistries.fromCodecs(codec),
                MongoClientSettings.getDefaultCodecRegistry());
        assertAcceptedByBothStores(db, collection(db, OwnCodecRecord.class, own));
    }

    @Test
    void aRecordWithoutBsonIdUnderTheDriversCodecIsRefused(MongoDatabase db) {
        MongoCollection<OwnCodecRecord> c = collection(db, OwnCodecRecord.class,
                MongoClientSettings.getDefaultCodecRegistry());
        assertThrows(IllegalStateException.class, () -> MongoPrimaryStore.builder(c).build());
    }

    @Test
    void documentCollectionsAreAccepted(MongoDatabase db) {
        assertAcceptedByBothStores(db, db.getCollection(Collections.uniqueName("docs")));
        assertAcceptedByBothStores(db, db.getCollection(Collections.uniqueName("bsondocs"), BsonDocument.class));
        assertAcceptedByBothStores(db, db.getCollection(Collections.uniqueName("docs2"), Document.class)
                .withCodecRegistry(Collections.POJOS));
    }
}
