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
import io.dualwrite.DeadLetter;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.Change;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bson.BsonDocument;
import org.bson.codecs.configuration.CodecRegistries;
import org.bson.codecs.pojo.PojoCodecProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A dead letter goes to the store with the ref of the sink's pending intent, which may be the
 * intent of a newer save whose caller write is still on its way (its version not known yet): the
 * dead letter of the older version must never take that intent with it.
 */
@ExtendWith(MongoExtension.class)
class DeadLetterOfAnOlderVersionTest {

    /** Rejects (permanently or transiently) while told to; otherwise an in-memory guarded sink. */
    static final class SwitchSink implements Sink<Doc> {
        final InMemorySink<Doc> inner = new InMemorySink<>();
        final AtomicReference<ErrorKind> failing = new AtomicReference<>();
        final List<Long> seen = new ArrayList<>();

        @Override
        public synchronized ApplyResult apply(Change<Doc> change) throws Exception {
            seen.add(change.version());
            ErrorKind k = failing.get();
            if (k != null) {
                throw new SinkException("told to fail " + change.idempotencyKey(), k, null);
            }
            return inner.apply(change);
        }
    }

    public static final class Doc {
        private String id;
        private String status;
        private Long version;

        public Doc() {
        }

        Doc(String id, String status) {
            this.id = id;
            this.status = status;
        }

        public String getId() { return id; }
        public void setId(String id) { this.id = id; }
        public String getStatus() { return status; }
        public void setStatus(String s) { this.status = s; }
        public Long getVersion() { return version; }
        public void setVersion(Long v) { this.version = v; }
    }

    static final class MClock extends Clock {
        volatile Instant now = Instant.parse("2026-05-01T08:00:00Z");
        @Override public java.time.ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }
        void advance(Duration d) { now = now.plus(d); }
    }

    static void save(MongoCollection<Doc> docs, Doc d) {
        if (d.getVersion() == null) {
            d.setVersion(0L);
            docs.insertOne(d);
            return;
        }
        long expected = d.getVersion();
        d.setVersion(expected + 1);
        if (docs.replaceOne(Filters.and(Filters.eq("_id", d.getId()), Filters.eq("version", expected)), d)
                .getMatchedCount() == 0) {
            throw new IllegalStateException("optimistic lock");
        }
    }

    @Test
    void aDeadLetterOfAnOlderVersionNeverDropsTheIntentOfANewerSaveStillOnItsWay(MongoDatabase db) {
        MongoCollection<Doc> docs = db.getCollection("docs_" + System.nanoTime(), Doc.class).withCodecRegistry(
                CodecRegistries.fromRegistries(com.mongodb.MongoClientSettings.getDefaultCodecRegistry(),
                        CodecRegistries.fromProviders(PojoCodecProvider.builder().automatic(true).build())));
        MClock clock = new MClock();
        SwitchSink feed = new SwitchSink();
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        try (DualWriter<Doc> w = DualWriter.<Doc>builder().entityType("doc").clock(clock)
                .primary(MongoWriteAheadStore.builder(db, docs).versionField("version").clock(clock).build())
                .deadLetterStore(deadLetters).meterRegistry(new SimpleMeterRegistry())
                .sink("feed", feed, SinkSettings.builder().maxAttempts(1).build())
                .build()) {
            Doc a = new Doc("a", "v1");
            w.saveWith("a", () -> save(docs, a));
            w.operations().flushAcknowledgements();
            long v1 = feed.seen.get(0);

            // a newer save begins; while its caller write is on its way, a reconciliation repair / operator
            // redelivery sends the current (older) version, which the sink rejects permanently
            a.setStatus("v2");
            w.saveWith("a", () -> {
                feed.failing.set(ErrorKind.PERMANENT);
                w.operations().redeliver("feed", List.of("a"));
                w.operations().flushAcknowledgements();
                // then the sink goes down for a moment: the newer save's own delivery is deferred
                feed.failing.set(ErrorKind.TRANSIENT);
                save(docs, a);
            });
            w.operations().flushAcknowledgements();
            feed.failing.set(null);

            long v2 = v1 + 1;
            // the sink heals; recovery has everything it needs to deliver v2
            for (int pass = 0; pass < 5; pass++) {
                clock.advance(Duration.ofMinutes(10));
                w.operations().recoverDue();
                w.operations().flushAcknowledgements();
            }
            DeadLetter dl = deadLetters.get(DeadLetter.idOf("doc", "a", "feed")).orElseThrow();
            String held = feed.inner.get("a").map(Doc::getStatus).orElse(null);
            assertTrue("v2".equals(held) || dl.version() >= v2,
                    "the newer save v2 was neither delivered nor dead-lettered: the sink holds " + held
                            + ", the only dead letter is of version " + dl.version() + " (v1=" + v1 + "); sink saw "
                            + feed.seen + "; intents left: "
                            + db.getCollection(docs.getNamespace().getCollectionName()
                            + MongoWriteAheadStore.DEFAULT_INTENT_COLLECTION_SUFFIX, BsonDocument.class)
                            .find().into(new ArrayList<>()) + ", backlog " + w.operations().backlog());
        }
    }
}
