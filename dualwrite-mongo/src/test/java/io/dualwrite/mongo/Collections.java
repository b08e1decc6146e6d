package io.dualwrite.mongo;

import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import org.bson.codecs.configuration.CodecRegistries;
import org.bson.codecs.configuration.CodecRegistry;
import org.bson.codecs.pojo.PojoCodecProvider;

import java.util.concurrent.atomic.AtomicInteger;

/** Fresh collections for tests, so each test starts empty on a shared database. */
final class Collections {
    static final CodecRegistry POJOS = CodecRegistries.fromRegistries(MongoClientSettings.getDefaultCodecRegistry(),
            CodecRegistries.fromProviders(PojoCodecProvider.builder().automatic(true).build()));
    private static final AtomicInteger N = new AtomicInteger();

    private Collections() {
    }

    static MongoCollection<Product> products(MongoDatabase db) {
        return db.getCollection("products_" + N.incrementAndGet(), Product.class).withCodecRegistry(POJOS);
    }

    static String uniqueName(String prefix) {
        return prefix + "_" + N.incrementAndGet();
    }
}
