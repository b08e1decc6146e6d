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
package io.dualwrite.examples.smallest;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.DualWriter;
import io.dualwrite.RecoveryWorker;
import io.dualwrite.WriteResult;
import io.dualwrite.examples.Product;
import io.dualwrite.examples.demo.CatalogWiring;
import io.dualwrite.mongo.MongoDeadLetterStore;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.opensearch.OpenSearchSink;
import io.dualwrite.testkit.mongo.InJvmMongo;
import io.dualwrite.testkit.opensearch.EmbeddedOpenSearch;
import java.util.List;
import java.util.Objects;
import org.apache.http.HttpHost;
import org.opensearch.client.RestClient;

/**
 * The smallest correct use: a MongoDB collection kept in sync with one search index by saving
 * through the coordinator, with a recovery worker finishing whatever a call could not. The
 * README shows the tagged region of {@link #saveAndDelete}.
 */
public final class SmallestUse {
    private SmallestUse() {
    }

    /**
     * Wires a coordinator over {@code products} and the index {@code products}, saves one product
     * and deletes it.
     *
     * @param database   the application's database
     * @param restClient a REST client of the search engine
     * @return the results of the save and of the delete
     */
    public static List<WriteResult> saveAndDelete(MongoDatabase database, RestClient restClient) {
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(restClient, "restClient");
        // tag::smallest[]
        MongoCollection<Product> products = database.getCollection("products", Product.class);

        DualWriter<Product> writer = DualWriter.<Product>builder()
                .entityType("product")
                .idOf(Product::id)
                .primary(MongoPrimaryStore.builder(products).build())    // data + version + intents: one atomic write
                .deadLetterStore(MongoDeadLetterStore.builder(database).build())
                .sink("search", OpenSearchSink.builder("product", Product.class).client(restClient).index("products").build())
                .build();
        RecoveryWorker recovery = RecoveryWorker.builder(writer).build();
        recovery.start();                                                 // finishes whatever a call could not

        WriteResult saved = writer.save(new Product("p-1", "Kettle", "kitchen", 2999));
        // saved.version(): the committed version; saved.outcomes(): {search=APPLIED}
        WriteResult deleted = writer.delete("p-1");
        // end::smallest[]
        recovery.close();
        writer.close();
        return List.of(saved, deleted);
    }

    /**
     * Runs {@link #saveAndDelete} on an in-JVM MongoDB and an in-process OpenSearch node.
     *
     * @param args ignored
     * @throws Exception if a server cannot start
     */
    public static void main(String[] args) throws Exception {
        try (InJvmMongo mongo = InJvmMongo.start();
             EmbeddedOpenSearch search = EmbeddedOpenSearch.start();
             MongoClient client = CatalogWiring.mongoClient(mongo.connectionString());
             RestClient rest = RestClient.builder(HttpHost.create(search.httpUrl())).build()) {
            saveAndDelete(client.getDatabase("shop"), rest).forEach(System.out::println);
        }
    }
}
