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
package io.dualwrite.examples.writeahead;

import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.DualWriter;
import io.dualwrite.WriteResult;
import io.dualwrite.examples.demo.CatalogWiring;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.MongoDeadLetterStore;
import io.dualwrite.mongo.MongoWriteAheadStore;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.mongo.InJvmMongo;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.bson.codecs.configuration.CodecRegistries;
import org.bson.codecs.configuration.CodecRegistry;
import org.bson.codecs.pojo.PojoCodecProvider;

/**
 * Adopting dualwrite around an existing repository (the write-ahead mode): the application keeps
 * its own save call; the coordinator records the intent first, runs the save, reads back what was
 * committed and delivers that. The README shows the tagged region of {@link #saveThroughRepository}.
 */
public final class WriteAheadExample {
    /** The driver's codecs plus automatic POJO mapping, as an application with POJOs configures its client. */
    public static final CodecRegistry POJOS = CodecRegistries.fromRegistries(MongoClientSettings.getDefaultCodecRegistry(),
            CodecRegistries.fromProviders(PojoCodecProvider.builder().automatic(true).build()));

    private WriteAheadExample() {
    }

    /**
     * Saves a stock item twice and deletes it, each time through the repository wrapped by the coordinator.
     *
     * @param database   the application's database (its codecs must map {@link StockItem})
     * @param searchSink where stock changes go
     * @return the results of the three writes
     */
    public static List<WriteResult> saveThroughRepository(MongoDatabase database, Sink<StockItem> searchSink) {
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(searchSink, "searchSink");
        List<WriteResult> results = new ArrayList<>();
        // tag::write-ahead[]
        MongoCollection<StockItem> collection = database.getCollection("stock", StockItem.class);
        StockRepository repository = new StockRepository(collection);     // your existing save code

        DualWriter<StockItem> stock = DualWriter.<StockItem>builder()
                .entityType("stock")
                .primary(MongoWriteAheadStore.builder(database, collection).versionField("version").build())
                .deadLetterStore(MongoDeadLetterStore.builder(database).build())
                .sink("search", searchSink)
                .build();

        StockItem item = new StockItem("sku-1", 12);
        WriteResult saved = stock.saveReturning(item.getId(), () -> repository.save(item)); // intent, your save, delivery
        // end::write-ahead[]
        results.add(saved);
        item.setQuantity(11);
        results.add(stock.saveReturning(item.getId(), () -> repository.save(item)));
        results.add(stock.deleteWith(item.getId(), () -> repository.deleteById(item.getId())));
        stock.close();
        return results;
    }

    /**
     * Runs {@link #saveThroughRepository} on an in-JVM MongoDB with an in-memory sink and prints what the sink holds.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        try (InJvmMongo mongo = InJvmMongo.start();
             MongoClient client = CatalogWiring.mongoClient(mongo.connectionString())) {
            InMemorySink<StockItem> search = new InMemorySink<>();
            saveThroughRepository(client.getDatabase("shop").withCodecRegistry(POJOS), search)
                    .forEach(System.out::println);
            System.out.println("search holds sku-1: " + search.get("sku-1") + ", deleted: " + search.isDeleted("sku-1"));
        }
    }
}
