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

import io.dualwrite.Change;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * A version-guarded in-memory sink (an {@link InMemorySink}) whose calls a test scripts: a one-shot hook that runs
 * inside the call of a matching change (before or after it is applied), a switch that makes it fail, and a record of
 * every change it was handed, in order. Called on the delivering thread (a zero call timeout). Thread-safe.
 */
final class ScriptedSink implements Sink<Product> {
    final InMemorySink<Product> target = new InMemorySink<>();
    final List<Change<Product>> seen = new CopyOnWriteArrayList<>();
    final AtomicBoolean down = new AtomicBoolean();
    private final ConcurrentLinkedQueue<Hook> hooks = new ConcurrentLinkedQueue<>();

    private record Hook(Predicate<Change<Product>> when, Runnable what, boolean afterApply) {
    }

    /** Runs {@code what} inside the next call for a change {@code when} matches, before the change is applied. */
    ScriptedSink before(Predicate<Change<Product>> when, Runnable what) {
        hooks.add(new Hook(when, what, false));
        return this;
    }

    /** Runs {@code what} inside the next call for a change {@code when} matches, after it was applied. */
    ScriptedSink after(Predicate<Change<Product>> when, Runnable what) {
        hooks.add(new Hook(when, what, true));
        return this;
    }

    boolean hooksDone() {
        return hooks.isEmpty();
    }

    @Override
    public ApplyResult apply(Change<Product> change) throws Exception {
        seen.add(change);
        Hook h = null;
        for (Hook k : hooks) {
            if (k.when().test(change) && hooks.remove(k)) {
                h = k;
                break;
            }
        }
        if (h != null && !h.afterApply()) {
            h.what().run();
        }
        if (down.get()) {
            throw new java.io.IOException("scripted: the sink is down");
        }
        ApplyResult r = target.apply(change);
        if (h != null && h.afterApply()) {
            h.what().run();
        }
        return r;
    }

    @Override
    public Optional<Duration> callTimeout() {
        return Optional.of(Duration.ZERO);
    }
}
