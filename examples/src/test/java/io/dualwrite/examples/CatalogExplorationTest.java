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
package io.dualwrite.examples;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.DualWriter;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.MongoDeadLetterStore;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.testkit.convergence.SinkView;
import io.dualwrite.testkit.explore.EntityModel;
import io.dualwrite.testkit.explore.ExplorerNode;
import io.dualwrite.testkit.explore.ExplorerWorld;
import io.dualwrite.testkit.explore.InterleavingExplorer;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.dualwrite.testkit.mongo.TestMongo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How an application explores its own wiring with the interleaving explorer: the catalog's
 * MongoDB store and its sinks, written by several instances at once through lost replies,
 * failing and slow sinks, a poisoned product, clock skew and time jumps.
 */
@ExtendWith(MongoExtension.class)
class CatalogExplorationTest {

    // tag::explore-world[]
    /** The catalog as one schedule sees it: a fresh database, and the writer each instance builds. */
    static final class CatalogWorld implements ExplorerWorld<Product> {
        private final MongoDatabase db;
        private final MongoCollection<Product> products;
        private final MongoPrimaryStore<Product> observer;
        private final Map<String, InMemorySink<Product>> sinks = new LinkedHashMap<>();

        CatalogWorld(Spec spec) {
            db = TestMongo.client().getDatabase("catalog_" + spec.name());
            products = db.getCollection("products", Product.class);
            observer = MongoPrimaryStore.builder(products).build();
            spec.sinks().forEach(name -> sinks.put(name, new InMemorySink<>()));   // your real sinks here
        }

        @Override
        public DualWriter<Product> writer(ExplorerNode<Product> node) {
            DualWriterBuilder<Product> b = node.configure(DualWriter.<Product>builder())
                    .entityType("product").idOf(Product::id)
                    .primary(MongoPrimaryStore.builder(node.collection(products)).createIndexes(false).build())
                    .deadLetterStore(MongoDeadLetterStore.builder(db).build());
            sinks.forEach((name, sink) -> node.register(b, name, sink));
            return b.build();
        }

        @Override
        public PrimaryStore<Product> observer() {
            return observer;
        }

        @Override
        public SinkView<Product> view(String sink) {
            return SinkView.of(sinks.get(sink));
        }

        @Override
        public boolean adopt(String id, Product state) {
            products.insertOne(state);
            return true;
        }

        @Override
        public void close() {
            db.drop();
        }
    }

    /** Each write's tag goes in the product's name, so every check can tell which write a state is. */
    static final EntityModel<Product> PRODUCTS = new EntityModel<>() {
        @Override
        public Product create(String id, String tag, int variant) {
            return new Product(id, tag, variant == 0 ? "tea" : "kitchen", 100 + variant);
        }

        @Override
        public String tagOf(Product state) {
            return state.name();
        }
    };
    // end::explore-world[]

    @Test
    void theCatalogKeepsEveryPromiseUnderEveryExploredInterleaving() {
        // tag::explore-run[]
        InterleavingExplorer.ExplorationReport report = InterleavingExplorer.builder(CatalogWorld::new, PRODUCTS)
                .sinks("search", "cache")
                .seed(1)              // a fixed range in the build; -Ddualwrite.explorer.schedules=… explores more
                .schedules(40)
                .build()
                .run();               // throws ExplorationFailure with the seed and a shortened schedule
        // end::explore-run[]
        System.out.println("catalog: " + report);
    }
}
