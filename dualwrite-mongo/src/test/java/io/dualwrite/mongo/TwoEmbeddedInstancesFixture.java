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
import io.dualwrite.DualWriter;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Two application instances of the embedded mode on one collection: A, whose collection a {@link HookedCollection}
 * scripts, and B; one version-guarded sink; each instance with its own clock.
 */
@ExtendWith(MongoExtension.class)
abstract class TwoEmbeddedInstancesFixture {
    final MutableClock clockA = new MutableClock(Fixture.START);
    final MutableClock clockB = new MutableClock(Fixture.START);
    final HookedCollection hooks = new HookedCollection();
    final ScriptedSink search = new ScriptedSink();
    MongoDatabase db;
    MongoCollection<Product> products;
    MongoPrimaryStore<Product> storeA;
    MongoPrimaryStore<Product> storeB;
    DualWriter<Product> a;
    DualWriter<Product> b;

    @BeforeEach
    void setUpInstances(MongoDatabase db) {
        this.db = db;
        products = Collections.products(db);
        storeA = MongoPrimaryStore.builder(hooks.wrap(products)).build();
        storeB = MongoPrimaryStore.builder(products).createIndexes(false).build();
        a = Fixture.writer(storeA, new InMemoryDeadLetterStore(), clockA, "A", Map.of("search", search)).build();
        b = Fixture.writer(storeB, new InMemoryDeadLetterStore(), clockB, "B", Map.of("search", search)).build();
    }

    /** Writes both instances' queued acknowledgements. */
    void settle() {
        a.operations().flushAcknowledgements();
        b.operations().flushAcknowledgements();
    }

    /** Heals the sink, moves both clocks far ahead and runs recovery on both instances until nothing is pending. */
    void recoverEverything() {
        search.down.set(false);
        settle();
        for (int i = 0; i < 10 && storeB.pendingCount() > 0; i++) {
            clockA.advance(Duration.ofMinutes(5));
            clockB.advance(Duration.ofMinutes(5));
            a.operations().recoverDue();
            b.operations().recoverDue();
            settle();
        }
        assertEquals(0, storeB.pendingCount(), "recovery leaves no intent pending");
    }
}
