package io.dualwrite.testkit.example;

/**
 * A user's entity, for the example tests written as a user of the testkit would write them.
 *
 * @param sku   the id
 * @param title a title
 * @param cents a price in cents
 */
public record Product(String sku, String title, long cents) {
}
