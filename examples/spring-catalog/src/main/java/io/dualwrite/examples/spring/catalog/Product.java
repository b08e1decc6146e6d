package io.dualwrite.examples.spring.catalog;

import org.springframework.data.annotation.Id;
import org.springframework.data.annotation.Version;
import org.springframework.data.mongodb.core.mapping.Document;
import org.springframework.data.mongodb.core.mapping.Field;

/** A product of the catalog. {@code @Version} is required: dualwrite takes each save's version from it. */
@Document("products")
public class Product {
    @Id
    private String id;
    private String name;
    @Field("price_cents")
    private long priceCents;
    @Version
    private Long version;

    /** For Spring Data and Jackson. */
    public Product() {
    }

    /**
     * @param id         the id, or null to have one assigned
     * @param name       the name
     * @param priceCents the price in cents
     */
    public Product(String id, String name, long priceCents) {
        this.id = id;
        this.name = name;
        this.priceCents = priceCents;
    }

    /** @return the id */
    public String getId() {
        return id;
    }

    /** @param id the id */
    public void setId(String id) {
        this.id = id;
    }

    /** @return the name */
    public String getName() {
        return name;
    }

    /** @param name the name */
    public void setName(String name) {
        this.name = name;
    }

    /** @return the price in cents */
    public long getPriceCents() {
        return priceCents;
    }

    /** @param priceCents the price in cents */
    public void setPriceCents(long priceCents) {
        this.priceCents = priceCents;
    }

    /** @return the version Spring Data keeps */
    public Long getVersion() {
        return version;
    }

    /** @param version the version */
    public void setVersion(Long version) {
        this.version = version;
    }
}
