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

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import io.dualwrite.Operation;
import io.dualwrite.Versions;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.IntentSpec;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.testkit.mongo.InJvmMongo;
import org.bson.BsonDocument;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.dualwrite.spi.Snapshot;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriter;
import io.dualwrite.RecoveryReport;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import com.mongodb.client.MongoDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * When the reply to the store's own write is lost (the write landed, the client timed out
 * reading), the store learns the outcome by reading the document instead of writing again.
 * Uses its own in-JVM server behind a proxy that swallows one reply.
 */
class UnknownOutcomeTest {
    private InJvmMongo mongo;
    private ReplyDroppingProxy proxy;
    private MongoClient client;

    @BeforeEach
    void start() throws Exception {
        mongo = InJvmMongo.start();
        proxy = new ReplyDroppingProxy("127.0.0.1", mongo.port());
        client = clientThrough(proxy);
    }

    @AfterEach
    void stop() throws Exception {
        try (InJvmMongo m = mongo; ReplyDroppingProxy p = proxy; MongoClient c = client) {
            // closed in reverse order
        }
    }

    @Test
    void aLostReplyIsResolvedByReadingTheDocumentNotByWritingAgain() throws Exception {
        MongoCollection<Product> products = Collections.products(client.getDatabase("unknown"));
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).build();
        Instant t0 = Fixture.START;

        proxy.dropNextReplyTo("insert");
        Committed<Product> created = store.commit(write(new Product("q1", "new", 1), t0));
        assertEquals(1, proxy.dropped(), "the insert's reply was swallowed");
        assertEquals(Committed.Status.WRITTEN, created.status(), "the store learned that its insert landed");
        assertEquals(Versions.firstVersion(t0), created.version(), "with the version it wrote");

        proxy.dropNextReplyTo("update");
        Committed<Product> updated = store.commit(write(new Product("q1", "changed", 2), t0.plusSeconds(1)));
        assertEquals(2, proxy.dropped(), "the replace's reply was swallowed");
        assertEquals(created.version() + 1, updated.version(), "the store learned that its replace landed");
        BsonDocument raw = products.withDocumentClass(BsonDocument.class).find(Filters.eq("_id", "q1")).first();
        assertEquals(created.version() + 1, raw.getDocument(DualWriteFilters.FIELD).getInt64("v").getValue(),
                "written once: a blind retry would have made it version + 2");
        assertEquals("changed", store.read("q1").orElseThrow().state().orElseThrow().getName(), "the new state");
    }

    /**
     * The claim's update of the whole batch lands but its reply is lost: the claim reads back by its token what it
     * leased, so the pass delivers those entities now instead of leaving them leased to nobody until the lease ends.
     */
    @Test
    void aClaimWhoseReplyIsLostReadsBackWhatItLeased() throws Exception {
        MongoCollection<Product> products = Collections.products(client.getDatabase("unknown-claim"));
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).build();
        Instant t0 = Fixture.START;
        store.commit(write(new Product("q1", "one", 1), t0));
        store.commit(write(new Product("q2", "two", 2), t0));
        Instant due = t0.plusSeconds(31);

        proxy.dropNextReplyTo("update");
        List<String> claimed = store.claimDue(due, 10, "w1/1", Duration.ofSeconds(60)).stream()
                .map(Snapshot::id).toList();
        assertEquals(1, proxy.dropped(), "the claim's reply was swallowed");
        assertEquals(List.of("q1", "q2"), claimed, "the claim learned what it leased");
        assertEquals(List.of(), store.claimDue(due, 10, "w2/1", Duration.ofSeconds(60)),
                "the leases stand for their owner");
        store.releaseAll(claimed, "w1/1");
        assertEquals(2, store.claimDue(due, 10, "w2/1", Duration.ofSeconds(60)).size(),
                "and end when it releases them");
    }

    /** The same for the write-ahead store, which leases entity by entity: a lease whose reply is lost is read back. */
    @Test
    void aWriteAheadLeaseWhoseReplyIsLostIsReadBackAndTheEntityDelivered() throws Exception {
        MongoDatabase db = client.getDatabase("unknown-lease");
        MongoCollection<Order> orders = db.getCollection("orders", Order.class).withCodecRegistry(Collections.POJOS);
        OrderRepository repository = new OrderRepository(orders);
        MutableClock clock = new MutableClock(Fixture.START);
        InMemorySink<Order> feed = new InMemorySink<>();
        try (DualWriter<Order> w = DualWriter.<Order>builder().entityType("order").clock(clock)
                .primary(MongoWriteAheadStore.builder(db, orders).versionField("version").clock(clock).build())
                .meterRegistry(new SimpleMeterRegistry()).deadLetterStore(new InMemoryDeadLetterStore())
                .sink("feed", feed, SinkSettings.builder().policy(DeliveryPolicy.ASYNC).maxAttempts(1).build())
                .build()) {
            w.saveWith("o1", () -> repository.save(new Order("o1", "NEW")));
            clock.advance(Duration.ofMinutes(5));

            proxy.dropNextReplyTo("findAndModify");
            RecoveryReport pass = w.operations().recoverDue();
            assertEquals(1, proxy.dropped(), "the lease's reply was swallowed");
            assertEquals(1, pass.delivered(), "the pass learned that it holds the lease: " + pass);
            assertEquals("NEW", feed.get("o1").orElseThrow().getStatus());
        }
    }

    /** A client that gives up on a reply after 400 ms and never retries a write by itself. */
    private static MongoClient clientThrough(ReplyDroppingProxy proxy) {
        return MongoClients.create(MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString("mongodb://127.0.0.1:" + proxy.port()))
                .applyToSocketSettings(b -> b.readTimeout(400, TimeUnit.MILLISECONDS))
                .retryWrites(false).build());
    }

    private static PrimaryWrite<Product> write(Product p, Instant t) {
        return PrimaryWrite.<Product>builder().id(p.getId()).operation(Operation.UPSERT).state(p)
                .intents(List.of(new IntentSpec("search", t.plusSeconds(30)))).correlationId("c-" + t).time(t).build();
    }
}
