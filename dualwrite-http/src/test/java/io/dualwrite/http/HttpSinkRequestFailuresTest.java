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
package io.dualwrite.http;

import io.dualwrite.Change;
import io.dualwrite.ErrorKind;
import io.dualwrite.Operation;
import io.dualwrite.json.Jackson3Json;
import io.dualwrite.spi.SinkException;
import io.dualwrite.testkit.TestItem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How {@link HttpSink#request} reports what its body mapper or header supplier threw: the interrupt flag kept, a
 * failure that says its own kind keeps it, an entity Jackson 3 cannot write is permanent. Nothing is sent.
 */
class HttpSinkRequestFailuresTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    private static <T> Change<T> upsert(String type, String id, T state) {
        return Change.<T>builder().entityType(type).id(id).version(1).operation(Operation.UPSERT)
                .state(state).correlationId("corr-" + id).time(NOW).build();
    }

    private static HttpSink.Builder<TestItem> builder() {
        return HttpSink.builder("item", TestItem.class).upsert("PUT", "http://127.0.0.1:9/items/{id}");
    }

    /**
     * A body mapper interrupted while it maps (waiting on a lookup, say) throws InterruptedException: the failure
     * keeps it as its cause and the calling thread's interrupt flag stays set, so the caller still sees it was
     * interrupted.
     */
    @Test
    void anInterruptedBodyMapperKeepsTheInterruptFlag() {
        HttpSink<TestItem> sink = builder().bodyMapper(c -> {
            throw new InterruptedException("interrupted while mapping " + c.id());
        }).build();
        SinkException e = assertThrows(SinkException.class, () -> sink.request(upsert("item", "i1",
                TestItem.variant("i1", 1))));
        assertInstanceOf(InterruptedException.class, e.getCause(), "the interruption is the cause: " + e);
        assertTrue(Thread.currentThread().isInterrupted(), "the interrupt flag is kept: " + e);
    }

    /**
     * An interrupted mapping says nothing about the change: it is not {@link ErrorKind#PERMANENT}, which would
     * dead-letter a change that maps fine on the next attempt.
     */
    @Test
    void anInterruptedBodyMapperIsNotAPermanentFailure() {
        HttpSink<TestItem> sink = builder().bodyMapper(c -> {
            throw new InterruptedException("interrupted while mapping " + c.id());
        }).build();
        SinkException e = assertThrows(SinkException.class, () -> sink.request(upsert("item", "i2",
                TestItem.variant("i2", 1))));
        assertTrue(e.kind() != ErrorKind.PERMANENT, "an interruption is no property of the change: " + e.kind());
    }

    /**
     * A header supplier that fails with a {@link SinkException} of its own kind (a token service briefly down:
     * {@link ErrorKind#TRANSIENT}) is reported with that kind, not turned into a permanent mapping failure that
     * dead-letters the change.
     */
    @Test
    void aTransientFailureOfAHeaderSupplierKeepsItsKind() {
        HttpSink<TestItem> sink = builder().header(c -> {
            throw new SinkException("token service unavailable", ErrorKind.TRANSIENT, null);
        }).build();
        SinkException e = assertThrows(SinkException.class, () -> sink.request(upsert("item", "i3",
                TestItem.variant("i3", 1))));
        assertEquals(ErrorKind.TRANSIENT, e.kind(), "the supplier's own kind: " + e);
        assertEquals(ErrorKind.TRANSIENT, sink.classifier().classify(e), "and the sink's classifier says so");
    }

    /** An entity whose getter throws. */
    public static final class Unwritable {
        public String getName() {
            throw new IllegalStateException("no name");
        }
    }

    /** An entity Jackson 3 cannot write fails permanently through the sink's classifier: mapping again fails again. */
    @Test
    void anEntityJackson3CannotWriteIsPermanent() {
        HttpSink<Unwritable> sink = HttpSink.builder("thing", Unwritable.class)
                .upsert("PUT", "http://127.0.0.1:9/things/{id}").json(Jackson3Json.defaults()).build();
        RuntimeException e = assertThrows(RuntimeException.class, () -> sink.request(upsert("thing", "t1",
                new Unwritable())));
        assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(e), "permanent: " + e);
    }
}
