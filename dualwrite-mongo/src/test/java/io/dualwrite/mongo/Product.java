package io.dualwrite.mongo;

import org.bson.codecs.pojo.annotations.BsonId;

import java.util.Objects;

/** A plain POJO entity mapped by the driver's POJO codec, as many applications have. */
public final class Product {
    @BsonId
    private String id;
    private String name;
    private long price;

    public Product() {
    }

    public Product(String id, String name, long price) {
        this.id = id;
        this.name = name;
        this.price = price;
    }

    public String getId() {
        return id;
    }

    public void setId(String id) {
        this.id = id;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public long getPrice() {
        return price;
    }

    public void setPrice(long price) {
        this.price = price;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Product && Objects.equals(id, ((Product) o).id) && Objects.equals(name, ((Product) o).name)
                && price == ((Product) o).price;
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, name, price);
    }

    @Override
    public String toString() {
        return "Product{" + id + ", " + name + ", " + price + "}";
    }
}
