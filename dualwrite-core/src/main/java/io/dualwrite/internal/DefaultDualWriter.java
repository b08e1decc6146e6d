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
package io.dualwrite.internal;

import io.dualwrite.Change;
import io.dualwrite.DeadLetters;
import io.dualwrite.DualWriter;
import io.dualwrite.WriterSettings;
import io.dualwrite.RecoveryReport;
import io.dualwrite.Redelivery;
import io.dualwrite.SinkOutcome;
import io.dualwrite.StoredEntity;
import io.dualwrite.WriteOptions;
import io.dualwrite.WriteResult;
import io.dualwrite.WriterOperations;
import io.dualwrite.spi.Snapshot;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The coordinator behind {@link DualWriter}: one object per job (the write path, a recovery pass,
 * redeliveries, dead-letter operations) over what they share ({@link WriterCore}). Thread-safe.
 *
 * @param <T> the entity type
 */
public final class DefaultDualWriter<T> implements DualWriter<T>, WriterOperations<T> {

    private final WriterCore<T> core;
    private final WritePath<T> writes;
    private final RecoveryPass<T> recovery;
    private final Redeliveries<T> redeliveries;
    private final DeadLetters deadLetters;

    /** @param cfg the settings */
    public DefaultDualWriter(WriterSettings<T> cfg) {
        this.core = new WriterCore<>(cfg);
        RecoveryPass<T> pass = null;
        try {
            this.writes = new WritePath<>(core);
            pass = new RecoveryPass<>(core);
            this.recovery = pass;
            this.redeliveries = new Redeliveries<>(core, writes);
            this.deadLetters = new DeadLetterOperations<>(core);
        } catch (RuntimeException | Error e) {
            // a writer that cannot be built leaves nothing behind: no thread, no meter, no instance tag taken
            if (pass != null) {
                try {
                    pass.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            try {
                core.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    @Override
    public WriteResult save(T entity, WriteOptions options) {
        return writes.save(entity, options);
    }

    @Override
    public WriteResult delete(String id, WriteOptions options) {
        return writes.delete(id, options);
    }

    @Override
    public WriteResult saveWith(String id, Runnable callerSave, WriteOptions options) {
        return writes.saveWith(id, callerSave, options);
    }

    @Override
    public WriteResult saveReturning(String id, Supplier<? extends T> callerSave, WriteOptions options) {
        return writes.saveReturning(id, callerSave, options);
    }

    @Override
    public WriteResult deleteWith(String id, Runnable callerDelete, WriteOptions options) {
        return writes.deleteWith(id, callerDelete, options);
    }

    @Override
    public WriterOperations<T> operations() {
        return this;
    }

    @Override
    public RecoveryReport recoverDue() {
        return recovery.recoverDue();
    }

    @Override
    public long backlog() {
        return recovery.backlog();
    }

    @Override
    public Optional<Instant> oldestDue() {
        return core.store.oldestDue();
    }

    @Override
    public Map<String, SinkOutcome> redeliver(String sink, Collection<String> ids) {
        return redeliveries.redeliver(sink, ids);
    }

    @Override
    public Map<String, Redelivery> redeliver(String sink, Collection<String> ids, Map<String, Redelivery> earlier,
                                             int maxAttempts) {
        return redeliveries.redeliver(sink, ids, earlier, maxAttempts);
    }

    @Override
    public WriterOperations.Reach reach(String sink, String id) {
        return redeliveries.reach(sink, id);
    }

    @Override
    public Change<T> changeFor(String sink, Snapshot<T> snapshot) {
        return redeliveries.changeFor(sink, snapshot);
    }

    @Override
    public WriteResult rewrite(String id, long expectedVersion) {
        return redeliveries.rewrite(id, expectedVersion);
    }

    @Override
    public Map<String, SinkOutcome> removeOrphans(String sink, Map<String, Long> heldVersions) {
        return redeliveries.removeOrphans(sink, heldVersions);
    }

    @Override
    public Optional<StoredEntity<T>> read(String id) {
        return snapshot(id).map(s -> new StoredEntity<>(s.id(), s.version(), s.state().orElse(null), s.updatedAt(),
                s.pending().keySet()));
    }

    @Override
    public Optional<Snapshot<T>> snapshot(String id) {
        Objects.requireNonNull(id, "id");
        return core.store.read(id);
    }

    @Override
    public DeadLetters deadLetters() {
        return deadLetters;
    }

    @Override
    public String entityType() {
        return core.type;
    }

    @Override
    public List<String> sinkNames() {
        return List.copyOf(core.channelsByName.keySet());
    }

    @Override
    public void flushAcknowledgements() {
        core.acks.flush();
    }

    @Override
    public void close() {
        // the gauges go before the core frees the instance tag, so a writer that takes it next keeps its own
        try {
            recovery.close();
        } finally {
            core.close();
        }
    }
}
