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

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import java.util.ConcurrentModificationException;
import java.util.Objects;

/**
 * An application's existing save code, as a Spring Data repository with a {@code @Version} field
 * behaves: a new item is inserted with version 0; an update replaces the document only if the
 * stored version still matches, and increments it. dualwrite wraps it without changing it.
 * Thread-safe (the collection is).
 */
public final class StockRepository {
    private final MongoCollection<StockItem> items;

    /** @param items the collection the repository saves to */
    public StockRepository(MongoCollection<StockItem> items) {
        this.items = Objects.requireNonNull(items, "items");
    }

    /**
     * @param item the item to insert or update; its version is set to the stored one
     * @return the item
     * @throws ConcurrentModificationException if someone else changed it since it was read
     */
    public StockItem save(StockItem item) {
        Objects.requireNonNull(item, "item");
        if (item.getVersion() == null) {
            item.setVersion(0L);
            items.insertOne(item);
            return item;
        }
        long expected = item.getVersion();
        item.setVersion(expected + 1);
        if (items.replaceOne(Filters.and(Filters.eq("_id", item.getId()), Filters.eq("version", expected)), item)
                .getMatchedCount() == 0) {
            item.setVersion(expected);
            throw new ConcurrentModificationException("stock item " + item.getId() + " was changed by someone else");
        }
        return item;
    }

    /** @param id the item to delete */
    public void deleteById(String id) {
        items.deleteOne(Filters.eq("_id", Objects.requireNonNull(id, "id")));
    }
}
