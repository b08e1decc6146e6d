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
