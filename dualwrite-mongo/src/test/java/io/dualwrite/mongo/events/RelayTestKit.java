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
import io.dualwrite.DualWriter;
import io.dualwrite.IdempotencyKeys;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bson.Document;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** What the event-relay tests share: the application's writer, fresh collections, a recording sink, relays. */
final class RelayTestKit {
    private static final AtomicInteger N = new AtomicInteger();

    /** One call per delivery, 5 s time limit: the longest delivery is 5 s. */
    static final SinkSettings ONE_CALL_5S = SinkSettings.builder().maxAttempts(1)
            .attemptTimeout(Duration.ofSeconds(5)).build();

    private RelayTestKit() {
    }

    /** The application's writer of "item" documents, without sinks: its store records the events. */
    static DualWriter<Document> app(MongoPrimaryStore<Document> store) {
        return DualWriter.<Document>builder().entityType("item").idOf(d -> d.getString("_id")).primary(store)
                .deadLetterStore(new InMemoryDeadLetterStore()).meterRegistry(new SimpleMeterRegistry()).build();
    }

    /** A collection of its own for one test. */
    static MongoCollection<Document> items(MongoDatabase db, String prefix) {
        return db.getCollection(prefix + "_" + N.incrementAndGet());
    }

    /** What an event consumer saw, in the order the applies finished ("landed"). */
    record Landed(String relay, String id, long version, String key) {
        static Landed of(String relay, Change<?> change) {
            return new Landed(relay, change.id(), change.version(), change.idempotencyKey());
        }

        /** The event of {@code item/<id>} at {@code version} with its default key, as relay {@code relay} applied it. */
        static Landed at(String relay, String id, long version) {
            return new Landed(relay, id, version, IdempotencyKeys.of("item", id, version));
        }
    }

    /** A sink that records every event it is handed into {@code log}, as relay {@code relay}. */
    static Sink<Document> recording(String relay, List<Landed> log) {
        return change -> {
            log.add(Landed.of(relay, change));
            return ApplyResult.APPLIED;
        };
    }

    /** A relay of one event sink, "audit", with {@link #ONE_CALL_5S}. */
    static EmbeddedEventRelay relay(MongoCollection<Document> c, String owner, Clock clock,
                                    InMemoryDeadLetterStore deadLetters, Duration lease, Sink<Document> sink) {
        return EmbeddedEventRelay.builder(c).entityType("item").owner(owner).clock(clock).deadLetterStore(deadLetters)
                .lease(lease).sink("audit", sink, ONE_CALL_5S).build();
    }
}
