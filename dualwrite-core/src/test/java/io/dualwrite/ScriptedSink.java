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
import io.dualwrite.spi.SinkException;
import org.slf4j.MDC;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A versioned in-memory sink whose next calls can be scripted to fail, for the coordinator's
 * unit tests. Thread-safe.
 */
final class ScriptedSink implements Sink<Product> {
    final InMemorySink<Product> target = new InMemorySink<>();
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger validations = new AtomicInteger();
    final List<String> correlationIdsSeen = new CopyOnWriteArrayList<>();
    final List<String> keysSeen = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<Supplier<Exception>> script = new ConcurrentLinkedQueue<>();
    private volatile Supplier<Exception> always;
    private volatile Duration delay = Duration.ZERO;

    /** The next {@code n} calls fail with an exception of the given kind. */
    ScriptedSink failNext(int n, ErrorKind kind) {
        for (int i = 0; i < n; i++) {
            script.add(() -> new SinkException("scripted " + kind + " failure", kind, null));
        }
        return this;
    }

    ScriptedSink failNextWith(Supplier<Exception> failure) {
        script.add(failure);
        return this;
    }

    ScriptedSink failAlways(ErrorKind kind) {
        always = () -> new SinkException("scripted " + kind + " outage", kind, null);
        return this;
    }

    ScriptedSink heal() {
        always = null;
        script.clear();
        return this;
    }

    ScriptedSink delay(Duration d) {
        delay = d;
        return this;
    }

    @Override
    public ApplyResult apply(Change<Product> change) throws Exception {
        calls.incrementAndGet();
        correlationIdsSeen.add(String.valueOf(MDC.get(DualWriteMetrics.MDC_CORRELATION_ID)));
        keysSeen.add(String.valueOf(MDC.get(DualWriteMetrics.MDC_IDEMPOTENCY_KEY)));
        if (!delay.isZero()) {
            Thread.sleep(delay.toMillis());
        }
        Supplier<Exception> f = script.poll();
        if (f == null) {
            f = always;
        }
        if (f != null) {
            throw f.get();
        }
        return target.apply(change);
    }

    @Override
    public void validate(Change<Product> change) {
        validations.incrementAndGet();
        if (change.state().map(p -> p.getPrice() < 0).orElse(false)) {
            throw new IllegalArgumentException("negative price");
        }
    }
}
