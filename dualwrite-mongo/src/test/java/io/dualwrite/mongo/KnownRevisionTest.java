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
import io.dualwrite.spi.Ack;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.Intent;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.BsonDocument;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What an instance knows of a document (the revision it last wrote or read) only ever saves a read: an
 * acknowledgement, which removes intents without moving the revision on, is never undone by a write on what another
 * instance knew, nor by a reschedule that read the document just before it landed.
 */
@ExtendWith(MongoExtension.class)
class KnownRevisionTest {
    private final MutableClock clock = new MutableClock(Fixture.START);
    private MongoCollection<Product> products;

    @BeforeEach
    void setUp(MongoDatabase db) {
        products = Collections.products(db);
    }

    private Set<String> pendingSinks(String id) {
        BsonDocument d = products.withDocumentClass(BsonDocument.class).find(Filters.eq("_id", id)).first();
        return d.getDocument(DualWriteFilters.FIELD).getDocument("pending").keySet();
    }

    @Test
    void aWriteOnWhatThisInstanceKnewNeverBringsBackAnIntentAnotherInstanceAcknowledged() {
        MongoPrimaryStore<Product> mine = MongoPrimaryStore.builder(products).build();
        MongoPrimaryStore<Product> other = MongoPrimaryStore.builder(products).build();
        Committed<Product> v1 = Fixture.commitAndDie(mine, clock, new Product("k1", "one", 1), List.of("search", "cache"));
        // a write the cache takes no part in (a ramp left it out): the cache's intent for v1 is carried over
        Fixture.commitAndDie(mine, clock, new Product("k1", "two", 2), List.of("search"));
        assertEquals(Set.of("search", "cache"), pendingSinks("k1"));

        other.acknowledge(List.of(new Ack("k1", "cache", v1.version(), null))); // another instance delivered v1

        Fixture.commitAndDie(mine, clock, new Product("k1", "three", 3), List.of("search"));
        assertEquals(Set.of("search"), pendingSinks("k1"), "the acknowledged intent stays gone");
    }

    @Test
    void aRescheduleNeverBringsBackAnIntentAcknowledgedWhileItWasUnderWay() {
        HookedCollection hooks = new HookedCollection();
        MongoPrimaryStore<Product> mine = MongoPrimaryStore.builder(hooks.wrap(products)).build();
        MongoPrimaryStore<Product> other = MongoPrimaryStore.builder(products).build();
        Committed<Product> v1 = Fixture.commitAndDie(mine, clock, new Product("k2", "one", 1), List.of("search"));
        Intent failed = mine.read("k2").orElseThrow().pending().get("search")
                .failedAttempt(clock.instant().plusSeconds(60), 1, "503");

        // the reschedule reads the document, then the sink's acknowledgement of v1 lands, then the reschedule writes
        hooks.first("updateOne", () -> other.acknowledge(List.of(new Ack("k2", "search", v1.version(), null))));
        mine.reschedule("k2", List.of(failed));
        assertEquals(true, hooks.done(), "the acknowledgement landed in between");
        assertEquals(Set.of(), pendingSinks("k2"), "the acknowledged intent stays gone");
        assertEquals(0, mine.pendingCount());
    }

    @Test
    void aDeleteThisInstanceKnowsOfIsCheckedAgainstTheDocumentAsItIs() {
        MongoPrimaryStore<Product> mine = MongoPrimaryStore.builder(products).build();
        MongoPrimaryStore<Product> other = MongoPrimaryStore.builder(products).build();
        Fixture.commitAndDie(mine, clock, new Product("k3", "one", 1), List.of("search"));
        Fixture.deleteAndDie(mine, clock, "k3", List.of("search")); // this instance knows a tombstone
        Committed<Product> recreated = Fixture.commitAndDie(other, clock, new Product("k3", "again", 2),
                List.of("search"));

        Committed<Product> deleted = Fixture.deleteAndDie(mine, clock, "k3", List.of("search"));
        assertEquals(Committed.Status.WRITTEN, deleted.status(), "the delete sees the entity another instance"
                + " re-created, not the tombstone it knew");
        assertEquals(recreated.version() + 1, deleted.version());
        assertEquals(true, mine.read("k3").orElseThrow().deleted());
    }

    @Test
    void aRevisionCacheOfNoBytesReadsBeforeEveryWrite() {
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).revisionCache(0, Duration.ofMinutes(1))
                .build();
        Committed<Product> v1 = Fixture.commitAndDie(store, clock, new Product("k4", "one", 1), List.of("search"));
        Committed<Product> v2 = Fixture.commitAndDie(store, clock, new Product("k4", "two", 2), List.of("search"));
        assertEquals(v1.version() + 1, v2.version());
    }
}
