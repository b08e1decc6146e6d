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
package io.dualwrite.testkit.explore;

import io.dualwrite.spi.Ack;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.Intent;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.testkit.ForwardingPrimaryStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * A primary store seen by one instance of a schedule: a step point before every call, and the
 * schedule's faults on it (a call that never reaches the store; a write that lands but whose reply
 * is lost, reported as a {@link TimeoutException}, which the default classifier calls an unknown
 * outcome). For stores that do not speak to MongoDB; a MongoDB store is better intercepted at its
 * commands ({@link ExplorerNode#collection}).
 *
 * @param <T> the entity type
 */
final class InterceptedStore<T> extends ForwardingPrimaryStore<T> {
    private final Run<T> run;
    private final Run<T>.Node node;

    InterceptedStore(PrimaryStore<T> delegate, Run<T> run, Run<T>.Node node) {
        super(delegate);
        this.run = run;
        this.node = node;
    }

    private <R> R call(String what, boolean write, Supplier<R> body) {
        return call(what, write, List.of(), body);
    }

    private <R> R call(String what, boolean write, Collection<String> ids, Supplier<R> body) {
        Run.PrimaryFault fault = node.command(what, write, ids);
        if (fault == Run.PrimaryFault.DOWN) {
            throw new UncheckedIOException(new IOException("injected: the primary is down"));
        }
        if (fault == Run.PrimaryFault.HELD) {
            node.hold(what, ids, body::get);
            throw new CompletionException(new TimeoutException("injected: the reply was lost"));
        }
        R r = body.get();
        if (fault == Run.PrimaryFault.LOST_REPLY) {
            throw new CompletionException(new TimeoutException("injected: the reply was lost"));
        }
        return r;
    }

    private void run(String what, Runnable body) {
        call(what, true, () -> {
            body.run();
            return null;
        });
    }

    @Override
    public Committed<T> commit(PrimaryWrite<T> write) {
        return call("commit " + write.operation() + " " + write.id(), true, List.of(write.id()),
                () -> super.commit(write));
    }

    @Override
    public Optional<Snapshot<T>> read(String id) {
        return call("read " + id, false, () -> super.read(id));
    }

    @Override
    public void acknowledge(Collection<Ack> acks) {
        run("acknowledge " + acks, () -> super.acknowledge(acks));
    }

    @Override
    public List<Snapshot<T>> claimDue(Instant now, int limit, String owner, Duration lease) {
        return call("claimDue", true, () -> super.claimDue(now, limit, owner, lease));
    }

    @Override
    public void reschedule(String id, Collection<Intent> updated) {
        run("reschedule " + id, () -> super.reschedule(id, updated));
    }

    @Override
    public void release(String id, String owner) {
        run("release " + id, () -> super.release(id, owner));
    }

    @Override
    public List<Snapshot<T>> scan(String afterExclusive, int limit) {
        return call("scan", false, () -> super.scan(afterExclusive, limit));
    }

    @Override
    public boolean supportsCompensation() {
        return delegate().supportsCompensation();
    }

    @Override
    public String toString() {
        return delegate() + " seen by " + node.name + " of " + run;
    }
}
