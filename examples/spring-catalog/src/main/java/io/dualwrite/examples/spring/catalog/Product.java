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
