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
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import io.dualwrite.DualWriter;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A caller's write slower than the write lease, while another writer takes the entity's turn. */
@ExtendWith(MongoExtension.class)
class WriteAheadSlowWriteTest {
    private final MutableClock clock = new MutableClock(Fixture.START);
    private final InMemorySink<Order> search = new InMemorySink<>();
    private MongoDatabase db;
    private MongoCollection<Order> orders;
    private OrderRepository repository;

    @BeforeEach
    void setUp(MongoDatabase db) {
        this.db = db;
        orders = db.getCollection(Collections.uniqueName("orders"), Order.class).withCodecRegistry(Collections.POJOS);
        repository = new OrderRepository(orders);
    }

    private DualWriter<Order> writer(String name) {
        return DualWriter.<Order>builder().entityType("order").clock(clock).workerId(name)
                .primary(MongoWriteAheadStore.builder(db, orders).versionField("version")
                        .writeLease(Duration.ofMinutes(1), Duration.ofMillis(200)).clock(clock).build())
                .deadLetterStore(new InMemoryDeadLetterStore()).gracePeriod(Fixture.GRACE)
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", search, Fixture.ONE_ATTEMPT).build();
    }

    @Test
    void aSaveThatTakesTheTurnOfASlowDeleteNeverSharesItsVersion() {
        try (DualWriter<Order> a = writer("A"); DualWriter<Order> b = writer("B")) {
            Order order = new Order("s1", "NEW");
            a.saveWith("s1", () -> repository.save(order));
            WriteResult[] saved = new WriteResult[1];
            WriteResult deleted = a.deleteWith("s1", () -> {
                // the delete is held up beyond the write lease; meanwhile another instance saves the entity
                clock.advance(Duration.ofMinutes(2));
                order.setStatus("PAID");
                saved[0] = b.saveWith("s1", () -> repository.save(order));
                repository.deleteById("s1");
            });
            assertNull(orders.find(Filters.eq("_id", "s1")).first(), "the primary ends without the entity");
            for (int i = 0; i < 10; i++) {
                clock.advance(Duration.ofMinutes(2));
                a.operations().recoverDue();
                a.operations().flushAcknowledgements();
            }
            assertTrue(search.isDeleted("s1"), "the sink ends without it too: " + search.get("s1") + " at "
                    + search.versionOf("s1") + "; save " + saved[0] + ", delete " + deleted);
            assertNotEquals(saved[0].version(), deleted.version(), "two writes, two versions");
        }
    }
}
