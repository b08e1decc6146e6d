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
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriter;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(MongoExtension.class)
/**
 * Recovery on another instance runs while a caller's own write is still on its way: the intent
 * recorded ahead of the write must survive until the write lands (regression for a pass that
 * dropped it as "the caller's write never happened").
 */
class WriteAheadRaceTest {
    private MongoCollection<Order> orders;
    private MongoWriteAheadStore<Order> store;
    private OrderRepository repository;
    private MutableClock clock;
    private InMemorySink<Order> async;
    private InMemoryDeadLetterStore dls;

    @BeforeEach
    void setUp(MongoDatabase db) {
        orders = db.getCollection(Collections.uniqueName("orders"), Order.class).withCodecRegistry(Collections.POJOS);
        store = MongoWriteAheadStore.builder(db, orders).versionField("version").build();
        repository = new OrderRepository(orders);
        clock = new MutableClock(Fixture.START);
        async = new InMemorySink<>();
        dls = new InMemoryDeadLetterStore();
    }

    private DualWriter<Order> writer(String worker) {
        return DualWriter.<Order>builder().entityType("order").primary(store)
                .deadLetterStore(dls).clock(clock).gracePeriod(Fixture.GRACE)
                .workerId(worker).meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("async", async, SinkSettings.builder().policy(DeliveryPolicy.ASYNC).maxAttempts(1).build())
                .build();
    }

    private void recoverAll(DualWriter<Order> w) {
        for (int i = 0; i < 10; i++) {
            clock.advance(Duration.ofMinutes(2));
            w.operations().recoverDue();
            w.operations().flushAcknowledgements();
        }
    }

    /** Another instance's recovery pass runs while the caller's save is in flight (ASYNC intents are due at once). */
    @Test
    void recoveryBetweenTheIntentAndTheCallersSaveKeepsTheCreate() {
        try (DualWriter<Order> w = writer("w1"); DualWriter<Order> other = writer("w2")) {
            w.saveWith("o1", () -> {
                other.operations().recoverDue();          // concurrent pass on another instance
                repository.save(new Order("o1", "NEW"));
            });
            recoverAll(other);
            assertEquals("NEW", async.get("o1").orElseThrow(() -> new AssertionError(
                    "the ASYNC sink never got the committed entity; pending=" + store.pendingCount())).getStatus());
        }
    }

    @Test
    void recoveryBetweenTheIntentAndTheCallersDeleteKeepsTheDelete() {
        try (DualWriter<Order> w = writer("w1"); DualWriter<Order> other = writer("w2")) {
            w.saveWith("o2", () -> repository.save(new Order("o2", "NEW")));
            recoverAll(other);
            assertTrue(async.get("o2").isPresent(), "setup: async has it");
            w.deleteWith("o2", () -> {
                other.operations().recoverDue();
                repository.deleteById("o2");
            });
            recoverAll(other);
            assertTrue(async.isDeleted("o2"),
                    "the ASYNC sink dropped the deleted entity (phantom otherwise); pending=" + store.pendingCount());
        }
    }

    @Test
    void aRequiredSinkIsRefusedOverAWriteAheadStoreWhichCannotCompensate() {
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> DualWriter.<Order>builder().entityType("order").primary(store).deadLetterStore(dls)
                        .sink("ledger", new InMemorySink<>(), SinkSettings.of(DeliveryPolicy.REQUIRED)).build());
        assertTrue(e.getMessage().contains("ledger") && e.getMessage().contains("REQUIRED"), e.getMessage());
    }
}
