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
package io.dualwrite.mongo.events;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.Change;
import io.dualwrite.DeadLetter;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Promise 5 on the embedded event relay: "everything a sink throws is classified for the entity it
 * was thrown for — an Error too"; "a poison entity blocks no other entity"; "transient errors are
 * retried a bounded number of times" (patterns.md: "a permanent failure, or one out of attempts,
 * is dead-lettered with its version and the relay moves on").
 */
@ExtendWith(MongoExtension.class)
class EventRelayPoisonTest {
    /** One call per pass: each pass spends one of the relay's attempts, as these tests count them. */
    private static final SinkSettings ONE_CALL = SinkSettings.builder().maxAttempts(1).build();

    private static final AtomicInteger N = new AtomicInteger();

    private static DualWriter<Document> app(MongoPrimaryStore<Document> store) {
        return DualWriter.<Document>builder().entityType("item").idOf(d -> d.getString("_id")).primary(store)
                .deadLetterStore(new InMemoryDeadLetterStore()).meterRegistry(new SimpleMeterRegistry()).build();
    }

    @Test
    void anErrorFromAnEventSinkIsThePoisonedEntitysOwnFailureAndEveryOtherEntityIsPublished(MongoDatabase db) {
        MongoCollection<Document> c = db.getCollection("relay_poison_" + N.incrementAndGet());
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        InMemorySink<Document> target = new InMemorySink<>();
        Sink<Document> audit = change -> {
            if (change.id().equals("poison")) {
                throw new AssertionError("the audit mapping cannot handle " + change.id());
            }
            return target.apply(change);
        };
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        SteppingClock clock = new SteppingClock();
        try (DualWriter<Document> w = app(store);
             EmbeddedEventRelay relay = EmbeddedEventRelay.builder(c).entityType("item").deadLetterStore(deadLetters)
                     .clock(clock).lease(Duration.ofSeconds(30)).sink("audit", audit, ONE_CALL).build()) {
            w.save(new Document("_id", "poison").append("n", 1));
            w.save(new Document("_id", "ok").append("n", 1));
            Throwable thrown = null;
            try {
                relay.publishDue();
            } catch (Throwable t) {
                thrown = t;
            }
            assertTrue(target.get("ok").isPresent(), "the healthy entity is published in the same pass"
                    + (thrown == null ? "" : "; the pass threw " + thrown));
            assertTrue(deadLetters.get(DeadLetter.idOf("item", "poison", "audit")).isPresent(),
                    "the poisoned entity's event is dead-lettered"
                            + (thrown == null ? "" : "; the pass threw " + thrown));
        }
    }

    @Test
    void anEventIsDeadLetteredOnlyOnceItsOwnAttemptsAreSpent(MongoDatabase db) {
        MongoCollection<Document> c = db.getCollection("relay_attempts_" + N.incrementAndGet());
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        InMemorySink<Document> target = new InMemorySink<>();
        AtomicInteger calls = new AtomicInteger();
        Sink<Document> audit = new Sink<>() {
            @Override
            public ApplyResult apply(Change<Document> change) throws Exception {
                int n = calls.incrementAndGet();
                // calls 1 and 2 (the first event) and call 4 (the second event, on its first try) meet a blip
                if (n == 1 || n == 2 || n == 4) {
                    throw new SinkException("the audit log is briefly unavailable", ErrorKind.TRANSIENT, null);
                }
                return target.apply(change);
            }
        };
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        SteppingClock clock = new SteppingClock();
        try (DualWriter<Document> w = app(store);
             EmbeddedEventRelay relay = EmbeddedEventRelay.builder(c).entityType("item").deadLetterStore(deadLetters)
                     .clock(clock).lease(Duration.ofSeconds(30)).retry(3, Duration.ofSeconds(1), Duration.ofSeconds(10))
                     .sink("audit", audit, ONE_CALL).build()) {
            w.save(new Document("_id", "x").append("n", 1));
            long v2 = w.save(new Document("_id", "x").append("n", 2)).version();
            for (int pass = 0; pass < 3; pass++) {
                relay.publishDue();
                clock.skip(Duration.ofMinutes(1));
            }
            assertEquals(4, calls.get(), "v1 failed twice then passed; v2 failed once");
            assertTrue(deadLetters.get(DeadLetter.idOf("item", "x", "audit")).isEmpty(), "v2 failed once, with"
                    + " two of its three attempts left, yet it was dead-lettered: "
                    + deadLetters.get(DeadLetter.idOf("item", "x", "audit")).orElse(null));
            relay.publishDue();
            assertEquals(v2, target.versionOf("x").orElse(-1), "and its next attempt publishes it");
        }
    }
}
