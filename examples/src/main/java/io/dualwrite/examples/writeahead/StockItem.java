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
package io.dualwrite.examples.writeahead;

import java.util.Objects;
import org.bson.codecs.pojo.annotations.BsonId;

/**
 * A stock entry as an application with its own repository has it: a mutable POJO with an
 * optimistic-locking version field ({@code null} until first saved), like Spring Data's
 * {@code @Version}. Not thread-safe.
 */
public final class StockItem {
    @BsonId
    private String id;
    private int quantity;
    private Long version;

    /** For the codec. */
    public StockItem() {
    }

    /**
     * @param id       the SKU
     * @param quantity units in stock
     */
    public StockItem(String id, int quantity) {
        this.id = Objects.requireNonNull(id, "id");
        this.quantity = quantity;
    }

    /** @return the SKU */
    public String getId() {
        return id;
    }

    /** @param id the SKU */
    public void setId(String id) {
        this.id = id;
    }

    /** @return units in stock */
    public int getQuantity() {
        return quantity;
    }

    /** @param quantity units in stock */
    public void setQuantity(int quantity) {
        this.quantity = quantity;
    }

    /** @return the repository's version, null before the first save */
    public Long getVersion() {
        return version;
    }

    /** @param version the repository's version */
    public void setVersion(Long version) {
        this.version = version;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StockItem s && Objects.equals(id, s.id) && quantity == s.quantity
                && Objects.equals(version, s.version);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, quantity, version);
    }

    @Override
    public String toString() {
        return "StockItem{" + id + ", " + quantity + ", v" + version + "}";
    }
}
