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
package io.dualwrite.examples.demo;

import io.dualwrite.DualWriter;
import io.dualwrite.WriteResult;
import io.dualwrite.examples.Product;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * The catalog's traffic: creates, price changes, renames and deletes of products picked at random
 * among a fixed number of ids. Not thread-safe (one per writer thread, each with its own seed).
 */
public final class CatalogTraffic {
    private static final List<String> CATEGORIES = List.of("kitchen", "garden", "books", "toys", "tools");
    private static final List<String> NAMES = List.of("Kettle", "Lamp", "Chair", "Hose", "Novel", "Puzzle", "Drill",
            "Teapot", "Rake", "Atlas", "Kite", "Saw");
    /** Share of operations that delete the product. */
    public static final double DELETE_SHARE = 0.08;

    private final DualWriter<Product> writer;
    private final int products;
    private final Random random;

    /**
     * @param writer   the catalog's coordinator
     * @param products how many product ids the traffic picks from, at least 1
     * @param seed     the seed of the choices
     */
    public CatalogTraffic(DualWriter<Product> writer, int products, long seed) {
        this.writer = Objects.requireNonNull(writer, "writer");
        if (products < 1) {
            throw new IllegalArgumentException("products must be at least 1, was " + products);
        }
        this.products = products;
        this.random = new Random(seed);
    }

    /**
     * Runs one operation: a delete now and then, otherwise a save of a new state (a create when
     * the product does not exist).
     *
     * @return the coordinator's result
     */
    public WriteResult next() {
        String id = CatalogWiring.productId(random.nextInt(products));
        if (random.nextDouble() < DELETE_SHARE) {
            return writer.delete(id);
        }
        return writer.save(randomProduct(id));
    }

    /**
     * @param id a product id
     * @return a product with a random name, category and price
     */
    public Product randomProduct(String id) {
        return new Product(id, NAMES.get(random.nextInt(NAMES.size())) + " " + (1 + random.nextInt(99)),
                CATEGORIES.get(random.nextInt(CATEGORIES.size())), 100 + random.nextInt(100_000));
    }
}
