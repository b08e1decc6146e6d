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
package io.dualwrite.mongo.relay;

import com.mongodb.MongoSocketReadException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.DualWriter;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.mongo.MongoCapability;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.dualwrite.testkit.mongo.RequiresMongo;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The change-stream relay across a stop and a failed poll (patterns.md §4): nothing is lost across a stop or a lost
 * reply on the checkpoint, nothing older is delivered over newer, and after the JVM's fatal errors the batch is
 * delivered again by the next poll of a started relay.
 */
@ExtendWith(MongoExtension.class)
@RequiresMongo(MongoCapability.CHANGE_STREAMS)
class ChangeStreamRelayRestartTest {

    /** A collection whose next checkpoint {@code updateOne} that writes a token lands and then loses its reply. */
    @SuppressWarnings("unchecked")
    private static <D> MongoCollection<D> losingTokenReply(MongoCollection<D> target, AtomicBoolean armed) {
        return (MongoCollection<D>) Proxy.newProxyInstance(ChangeStreamRelayRestartTest.class.getClassLoader(),
                new Class<?>[]{MongoCollection.class}, (proxy, method, args) -> {
                    Object r;
                    try {
                        r = method.invoke(target, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (r instanceof MongoCollection<?> derived) {
                        return losingTokenReply(derived, armed);
                    }
                    if (method.getName().equals("updateOne") && args.length >= 2 && args[1] instanceof Bson b
                            && b.toBsonDocument().toJson().contains("\"token\"") && armed.getAndSet(false)) {
                        throw new MongoSocketReadException("injected: the checkpoint's reply was lost",
                                new ServerAddress());
                    }
                    return r;
                });
    }

    /**
     * Interleaving: the relay delivers a batch, its checkpoint write (token + deferred) lands but the reply is lost
     * (the poll throws); the relay object is then abandoned (the instance stops) and a new relay of the same name
     * starts; more saves follow.
     *
     * <p>Promise: nothing lost, nothing older delivered over newer (version-guarded redelivery), every entity ends
     * at the primary's version.
     */
    @Test
    void aLostCheckpointReplyThenARestartLosesNothing(MongoDatabase db) {
        MongoCollection<Document> items = Items.collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(items).build();
        InMemorySink<Document> target = new InMemorySink<>();
        AtomicBoolean lose = new AtomicBoolean(false);
        MongoCollection<Document> cps = losingTokenReply(db.getCollection("restart_cp_" + System.nanoTime()), lose);
        try (DualWriter<Document> app = Items.app(store); DualWriter<Document> out = Items.relayWriter(store, target)) {
            long a1;
            try (ChangeStreamRelay relay = ChangeStreamRelay.builder(items, out, store).checkpoints(cps).name("lr")
                    .build()) {
                relay.pollOnce();
                a1 = app.save(new Document("_id", "a").append("n", 1)).version();
                app.save(new Document("_id", "b").append("n", 1));
                lose.set(true);
                assertThrows(MongoSocketReadException.class, () -> relay.drain(5), "the checkpoint's reply is lost");
                assertFalse(lose.get(), "the scripted loss happened");
            }
            assertEquals(a1, target.versionOf("a").orElse(-1));
            app.save(new Document("_id", "a").append("n", 2));
            app.save(new Document("_id", "c").append("n", 1));
            try (ChangeStreamRelay again = ChangeStreamRelay.builder(items, out, store).checkpoints(cps).name("lr")
                    .build()) {
                again.drain(20);
            }
            for (String id : List.of("a", "b", "c")) {
                assertEquals(store.read(id).orElseThrow().version(), target.versionOf(id).orElse(-1),
                        id + " reached the primary's version");
            }
        }
    }

    /**
     * Interleaving: a started relay (its polling thread) meets a fatal {@code OutOfMemoryError} from the sink once;
     * the sink is healthy afterwards.
     *
     * <p>Promise (patterns.md §4): "the JVM's fatal errors, such as OutOfMemoryError, propagate and the batch is
     * delivered again by the next poll": the polling thread outlives the error, so the batch and every later change
     * are delivered.
     */
    @Test
    void aStartedRelayPollsAgainAfterAFatalErrorFromItsSink(MongoDatabase db) throws Exception {
        MongoCollection<Document> items = Items.collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(items).build();
        InMemorySink<Document> target = new InMemorySink<>();
        AtomicBoolean once = new AtomicBoolean(true);
        Sink<Document> sink = change -> {
            if (once.getAndSet(false)) {
                throw new OutOfMemoryError("injected: one huge payload");
            }
            return target.apply(change);
        };
        try (DualWriter<Document> app = Items.app(store); DualWriter<Document> out = Items.relayWriter(store, sink);
             ChangeStreamRelay relay = ChangeStreamRelay.builder(items, out, store).checkpoints(db).name("fatal")
                     .build()) {
            relay.pollOnce();
            long vx = app.save(new Document("_id", "x").append("n", 1)).version();
            relay.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (once.get() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertFalse(once.get(), "the sink met its fatal error");
            long vy = app.save(new Document("_id", "y").append("n", 1)).version();
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
            while (System.nanoTime() < deadline && (target.get("x").isEmpty() || target.get("y").isEmpty())) {
                Thread.sleep(50);
            }
            assertEquals(vy, target.versionOf("y").orElse(-1), "a change made after the error is delivered");
            assertEquals(vx, target.versionOf("x").orElse(-1), "the batch that met the error is delivered again");
        }
    }
}
