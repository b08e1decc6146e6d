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
package io.dualwrite;

import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which thread calls a sink: the caller's own when the sink bounds its calls within its attempt
 * timeout (no hand-off), a pool thread under the coordinator's time limit otherwise.
 */
class SinkCallThreadTest {
    private final WriterFixture fx = new WriterFixture();

    /** Records the thread of its last call; declares the given bound. */
    private static final class ThreadRecordingSink implements Sink<Product> {
        final AtomicReference<Thread> lastCaller = new AtomicReference<>();
        final InMemorySink<Product> target = new InMemorySink<>();
        final Optional<Duration> bound;
        final long sleepMillis;

        ThreadRecordingSink(Optional<Duration> bound, long sleepMillis) {
            this.bound = bound;
            this.sleepMillis = sleepMillis;
        }

        @Override
        public ApplyResult apply(Change<Product> change) throws Exception {
            lastCaller.set(Thread.currentThread());
            if (sleepMillis > 0) {
                Thread.sleep(sleepMillis);
            }
            return target.apply(change);
        }

        @Override
        public Optional<Duration> callTimeout() {
            return bound;
        }
    }

    private Thread callerOfOneSave(ThreadRecordingSink sink, SinkSettings settings) {
        try (DualWriter<Product> w = fx.builder().sink("search", sink, settings).build()) {
            assertEquals(SinkOutcome.APPLIED, w.save(new Product("p", "x", 1)).outcome("search").orElseThrow());
        }
        return sink.lastCaller.get();
    }

    @Test
    void aSinkThatBoundsItsCallsWithinTheAttemptTimeoutIsCalledOnTheCallersThread() {
        ThreadRecordingSink sink = new ThreadRecordingSink(Optional.of(Duration.ofSeconds(1)), 0);
        assertEquals(Thread.currentThread(), callerOfOneSave(sink, WriterFixture.fast().build()));
    }

    @Test
    void theInMemorySinkDeclaresThatItNeverWaits() {
        assertEquals(Optional.of(Duration.ZERO), new InMemorySink<Product>().callTimeout());
    }

    @Test
    void aSinkWithoutABoundIsCalledOnAPoolThreadUnderTheTimeLimit() {
        ThreadRecordingSink slow = new ThreadRecordingSink(Optional.empty(), 2_000);
        try (DualWriter<Product> w = fx.builder().sink("search", slow, WriterFixture.fast().maxAttempts(1)
                .attemptTimeout(Duration.ofMillis(100)).build()).build()) {
            WriteResult r = w.save(new Product("p", "x", 1));
            assertEquals(SinkOutcome.DEFERRED, r.outcome("search").orElseThrow(), "the time limit cut the call short");
        }
        assertNotEquals(Thread.currentThread(), slow.lastCaller.get());
    }

    @Test
    void aBoundLongerThanTheAttemptTimeoutLeavesTheTimeLimitToTheCoordinator() {
        ThreadRecordingSink sink = new ThreadRecordingSink(Optional.of(Duration.ofSeconds(30)), 0);
        Thread caller = callerOfOneSave(sink, WriterFixture.fast().attemptTimeout(Duration.ofSeconds(5)).build());
        assertNotEquals(Thread.currentThread(), caller);
        assertTrue(caller.getName().startsWith("dualwrite-"), caller.getName());
    }

    @Test
    void theApplicationsSettingOverridesTheSinksDeclaration() {
        ThreadRecordingSink bounded = new ThreadRecordingSink(Optional.of(Duration.ofSeconds(1)), 0);
        assertNotEquals(Thread.currentThread(), callerOfOneSave(bounded,
                WriterFixture.fast().clientEnforcesTimeout(false).build()), "false: the coordinator bounds the call");
        ThreadRecordingSink unbounded = new ThreadRecordingSink(Optional.empty(), 0);
        assertEquals(Thread.currentThread(), callerOfOneSave(unbounded,
                WriterFixture.fast().clientEnforcesTimeout(true).build()), "true: the application vouches for it");
    }
}
