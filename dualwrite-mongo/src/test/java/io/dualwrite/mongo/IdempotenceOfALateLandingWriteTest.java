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

import com.mongodb.MongoSocketReadTimeoutException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import io.dualwrite.DualWriter;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.WriteOptions;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.BsonDocument;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Promise 3 (idempotence: "the write is never applied a second time") and "a failure says what
 * happened", for a write whose reply is lost while the command itself is still on its way: a
 * socket read timeout gives up on the reply, but the server runs the command later (it waited
 * for a lock or an execution ticket). The store reads the document back before the command has
 * run, concludes that its write did not land, and writes it again; the late command then lands
 * first, the store's second attempt loses the race to it, and the store reads again without
 * looking for its own token any more.
 */
@ExtendWith(MongoExtension.class)
class IdempotenceOfALateLandingWriteTest {
    private MongoCollection<Product> products;
    private final LateLanding late = new LateLanding();
    private DualWriter<Product> writer;
    private final InMemorySink<Product> search = new InMemorySink<>();

    @BeforeEach
    void setUp(MongoDatabase db) {
        products = Collections.products(db);
        writer = DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(MongoPrimaryStore.builder(late.wrap(products)).build())
                .deadLetterStore(new InMemoryDeadLetterStore())
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", search, Fixture.ONE_ATTEMPT).build();
    }

    /**
     * A collection whose next armed write is held back: the caller gets a socket read timeout
     * (an unknown outcome) at once, and the held command runs on the server just before the
     * caller's next write of the same kind — it lands late, after the caller's read-back.
     */
    static final class LateLanding {
        private volatile String armed;
        private volatile Runnable afterLanding = () -> { };
        private final AtomicReference<Runnable> held = new AtomicReference<>();

        void holdNext(String method) {
            armed = method;
        }

        /** Runs {@code after} right after the held command lands (another writer, say). */
        void holdNext(String method, Runnable after) {
            afterLanding = after;
            armed = method;
        }

        boolean landed() {
            return armed == null && held.get() == null;
        }

        @SuppressWarnings("unchecked")
        <D> MongoCollection<D> wrap(MongoCollection<D> target) {
            return (MongoCollection<D>) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[]{MongoCollection.class}, (proxy, method, args) -> {
                        String name = method.getName();
                        if (name.equals(armed)) {
                            armed = null;
                            held.set(() -> invoke(target, method, args));
                            throw new MongoSocketReadTimeoutException("scripted: no reply within the socket timeout",
                                    new ServerAddress(), new java.net.SocketTimeoutException("read timed out"));
                        }
                        if (("replaceOne".equals(name) || "insertOne".equals(name)) && held.get() != null) {
                            Runnable late = held.getAndSet(null);
                            try {
                                late.run(); // the held command reaches the server now, just before this one
                            } catch (RuntimeException ignored) {
                                // its reply went to a closed connection
                            }
                            afterLanding.run();
                        }
                        Object r = invoke(target, method, args);
                        return r instanceof MongoCollection ? wrap((MongoCollection<Object>) r) : r;
                    });
        }

        private static Object invoke(Object target, Method method, Object[] args) {
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause() instanceof RuntimeException ? (RuntimeException) e.getCause()
                        : new IllegalStateException(e.getCause());
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private List<Long> versionsOf(String id) {
        BsonDocument d = products.withDocumentClass(BsonDocument.class).find(Filters.eq("_id", id)).first();
        List<Long> out = new ArrayList<>();
        out.add(d.getDocument(DualWriteFilters.FIELD).getInt64("v").getValue());
        return out;
    }

    private List<String> tokensOf(String id) {
        BsonDocument d = products.withDocumentClass(BsonDocument.class).find(Filters.eq("_id", id)).first();
        List<String> out = new ArrayList<>();
        d.getDocument(DualWriteFilters.FIELD).getArray("w").forEach(t -> out.add(t.asString().getValue()));
        return out;
    }

    @Test
    void anUpdateThatLandsAfterItsReadBackIsAppliedOnce() {
        long v1 = writer.save(new Product("p1", "a1", 1)).version();
        writer.operations().flushAcknowledgements(); // nothing but the script touches p1 from here on
        late.holdNext("replaceOne");
        WriteResult r = writer.save(new Product("p1", "a2", 2));
        assertTrue(late.landed(), "the held command landed");
        List<String> tokens = tokensOf("p1");
        assertEquals(tokens.size(), tokens.stream().distinct().count(),
                "one commit token per commit, but the write's token is there twice: " + tokens);
        assertEquals(v1 + 1, versionsOf("p1").get(0), "one save made one version");
        assertEquals(v1 + 1, r.version(), "and the caller is told the version its write made");
    }

    @Test
    void anUpdateThatLandsLateNeverOverwritesAnotherWritersLaterUpdate() {
        writer.save(new Product("p1", "a1", 1));
        writer.operations().flushAcknowledgements();
        DualWriter<Product> b = DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(MongoPrimaryStore.builder(products).createIndexes(false).build())
                .deadLetterStore(new InMemoryDeadLetterStore())
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", search, Fixture.ONE_ATTEMPT).build();
        List<WriteResult> other = new ArrayList<>();
        // A's update reaches the server late; right after it lands, instance B updates p1 and is told so
        late.holdNext("replaceOne", () -> other.add(b.save(new Product("p1", "b1", 3))));
        WriteResult mine = writer.save(new Product("p1", "a2", 2));
        assertEquals(1, other.size());
        Product now = b.read("p1").orElseThrow().state().orElseThrow();
        assertEquals("b1", now.getName(), "B's update, confirmed to B as version " + other.get(0).version()
                + ", was overwritten by a second copy of A's earlier update (A was told version " + mine.version()
                + ")");
    }

    @Test
    void anExpectedVersionUpdateThatLandsLateIsNotReportedAsAConflict() {
        long v1 = writer.save(new Product("p1", "a1", 1)).version();
        writer.operations().flushAcknowledgements(); // nothing but the script touches p1 from here on
        late.holdNext("replaceOne");
        WriteResult r;
        try {
            r = writer.save(new Product("p1", "a2", 2), WriteOptions.builder().expectedVersion(v1).build());
        } catch (io.dualwrite.VersionConflictException e) {
            fail("the write committed as version " + versionsOf("p1").get(0)
                    + ", yet the caller is told nothing was written: " + e.getMessage());
            return;
        } catch (PrimaryWriteException e) {
            return; // an unknown outcome would be the truth
        }
        assertEquals(v1 + 1, r.version());
    }

    @Test
    void aCreateThatLandsAfterItsReadBackIsAppliedOnce() {
        late.holdNext("insertOne");
        WriteResult r = writer.save(new Product("p1", "a1", 1));
        assertTrue(late.landed(), "the held insert landed");
        List<String> tokens = tokensOf("p1");
        assertEquals(1, tokens.size(), "one create, one commit; the document holds commits " + tokens);
        assertEquals(r.version(), versionsOf("p1").get(0), "the caller is told the version its write made");
    }

    @Test
    void aCreateThatMustNotExistAndLandsLateIsNotReportedAsAConflict() {
        late.holdNext("insertOne");
        try {
            writer.save(new Product("p1", "a1", 1), WriteOptions.builder().expectedVersion(0).build());
        } catch (io.dualwrite.VersionConflictException e) {
            fail("the create committed as version " + versionsOf("p1").get(0)
                    + ", yet the caller is told nothing was written: " + e.getMessage());
        } catch (PrimaryWriteException e) {
            // an unknown outcome would be the truth
        }
    }

    @Test
    void aDeleteThatLandsLateIsNotReportedAsNothingToDelete() {
        writer.save(new Product("p1", "a1", 1));
        writer.operations().flushAcknowledgements();
        late.holdNext("replaceOne");
        WriteResult r = writer.delete("p1");
        assertTrue(r.written(), "the caller's delete is what deleted p1, yet it is told there was nothing to delete: "
                + r);
    }
}
