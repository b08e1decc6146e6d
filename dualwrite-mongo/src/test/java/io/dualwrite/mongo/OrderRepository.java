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
package io.dualwrite.mongo;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;

/**
 * The application's own save code, behaving like a Spring Data repository with a {@code @Version}
 * field: a new entity is inserted with version 0; an update replaces the document only if the
 * stored version still matches, and increments it.
 */
final class OrderRepository {
    /** What Spring Data throws when the stored version moved. */
    static final class OptimisticLockingFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OptimisticLockingFailure(String message) {
            super(message);
        }
    }

    private final MongoCollection<Order> orders;

    OrderRepository(MongoCollection<Order> orders) {
        this.orders = orders;
    }

    Order save(Order order) {
        if (order.getVersion() == null) {
            order.setVersion(0L);
            orders.insertOne(order);
            return order;
        }
        long expected = order.getVersion();
        order.setVersion(expected + 1);
        if (orders.replaceOne(Filters.and(Filters.eq("_id", order.getId()), Filters.eq("version", expected)), order)
                .getMatchedCount() == 0) {
            order.setVersion(expected);
            throw new OptimisticLockingFailure("order " + order.getId() + " was changed by someone else");
        }
        return order;
    }

    void deleteById(String id) {
        orders.deleteOne(Filters.eq("_id", id));
    }
}
