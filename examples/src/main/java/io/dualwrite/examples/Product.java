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

import java.util.Objects;
import org.bson.codecs.pojo.annotations.BsonId;

/**
 * A catalog product as the examples store it: MongoDB maps it with the driver's record codec,
 * the sinks with Jackson. Immutable and thread-safe.
 *
 * @param id          the product id, stored as {@code _id}
 * @param name        the display name
 * @param category    the category
 * @param priceCents  the price in cents, not negative
 */
public record Product(@BsonId String id, String name, String category, long priceCents) {
    /**
     * @throws NullPointerException     if id, name or category is null
     * @throws IllegalArgumentException if the price is negative
     */
    public Product {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(category, "category");
        if (priceCents < 0) {
            throw new IllegalArgumentException("priceCents must not be negative, was " + priceCents);
        }
    }

    /**
     * @param newPriceCents the new price
     * @return this product at another price
     */
    public Product withPrice(long newPriceCents) {
        return new Product(id, name, category, newPriceCents);
    }
}
