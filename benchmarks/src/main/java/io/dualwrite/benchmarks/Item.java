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
package io.dualwrite.benchmarks;

/**
 * The entity every benchmark writes: a small document of a few fields, as a product or an order
 * would be. A plain mutable bean so that the MongoDB POJO codec ({@code id} becomes {@code _id})
 * and Jackson both map it without annotations. Not thread-safe; each benchmark thread writes its
 * own instances.
 */
public final class Item {
    private String id;
    private String name;
    private long price;
    private String category;
    private Long version;

    /** For the codecs. */
    public Item() {
    }

    /**
     * @param id    the id
     * @param name  a name
     * @param price a price in cents
     */
    public Item(String id, String name, long price) {
        this.id = id;
        this.name = name;
        this.price = price;
        this.category = "kitchen";
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
    public long getPrice() {
        return price;
    }

    /** @param price the price in cents */
    public void setPrice(long price) {
        this.price = price;
    }

    /** @return the category */
    public String getCategory() {
        return category;
    }

    /** @param category the category */
    public void setCategory(String category) {
        this.category = category;
    }

    /** @return the optimistic-locking version the application keeps (write-ahead and raw flows), or null */
    public Long getVersion() {
        return version;
    }

    /** @param version the optimistic-locking version */
    public void setVersion(Long version) {
        this.version = version;
    }
}
