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
import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.DeadLetters;
import io.dualwrite.ErrorKind;
import io.dualwrite.Operation;
import io.dualwrite.SinkOutcome;
import io.dualwrite.spi.Ack;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.UnreadableEntityException;
import org.slf4j.Logger;

import java.time.Instant;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The dead letters of one writer's entity type: list, inspect, replay through the sink's
 * delivery road (the primary's current state, never an older one), discard. Thread-safe.
 *
 * @param <T> the entity type
 */
final class DeadLetterOperations<T> implements DeadLetters {
    private static final Logger LOG = WriterCore.LOG;

    private final WriterCore<T> core;
    private final DeadLetterStore dls;

    DeadLetterOperations(WriterCore<T> core) {
        this.core = core;
        this.dls = core.cfg.deadLetterStore();
    }

    @Override
    public List<DeadLetter> list(DeadLetterQuery query) {
        Objects.requireNonNull(query, "query");
        return dls.list(scoped(query));
    }

    private DeadLetterQuery scoped(DeadLetterQuery q) {
        if (q.entityType().isPresent() && !q.entityType().get().equals(core.type)) {
            throw new IllegalArgumentException("this writer handles '" + core.type + "', not '" + q.entityType().get() + "'");
        }
        return DeadLetterQuery.builder().from(q).entityType(core.type).build();
    }

    @Override
    public Optional<DeadLetter> inspect(String id) {
        Objects.requireNonNull(id, "id");
        return dls.get(id);
    }

    @Override
    public long count() {
        return dls.count();
    }

    @Override
    public SinkOutcome replay(String id) {
        Objects.requireNonNull(id, "id");
        core.ensureOpen();
        DeadLetter dl = dls.get(id).orElseThrow(() -> new NoSuchElementException("no dead letter '" + id + "'"));
        if (!dl.entityType().equals(core.type)) {
            throw new IllegalArgumentException("dead letter " + id + " belongs to '" + dl.entityType()
                    + "', this writer handles '" + core.type + "'");
        }
        SinkChannel<T> c = core.channelsByName.get(dl.sink());
        if (c == null) {
            throw new IllegalArgumentException("dead letter " + id + " is for sink '" + dl.sink()
                    + "', which is not registered");
        }
        if (Ramp.role(dl.entityId(), c.settings) == Ramp.Role.OUT) {
            LOG.info("dead letter {} is of an entity outside sink '{}''s ramp: nothing to replay", id, c.name);
            return SinkOutcome.SKIPPED;
        }
        Optional<Snapshot<T>> snap;
        try {
            snap = core.store.read(dl.entityId());
        } catch (UnreadableEntityException e) {
            LOG.warn("dead letter {} stays: the primary's {}/{} still cannot be read ({})", id, core.type, dl.entityId(),
                    SinkFailures.describe(e.getCause()));
            return SinkOutcome.DEAD_LETTERED;
        }
        String correlationId = dl.correlationId().orElseGet(() -> UUID.randomUUID().toString());
        // the primary's current state, through the same road as every delivery (the sink's ramp included)
        Change<T> change = snap.map(s -> core.forSink(Change.<T>builder().entityType(core.type).id(s.id()).version(s.version())
                        .operation(s.deleted() ? Operation.DELETE : Operation.UPSERT).state(s.state().orElse(null))
                        .correlationId(correlationId).time(s.updatedAt()).build(), c))
                // the entity left the primary for good: the sink must drop it too
                .orElseGet(() -> Change.<T>builder().entityType(core.type).id(dl.entityId()).version(dl.version())
                        .operation(Operation.DELETE).correlationId(correlationId).time(core.cfg.observability().clock().instant())
                        .schemaVersion(c.settings.schemaVersion()).build());
        try (MdcScope ignored = MdcScope.open(correlationId, change.idempotencyKey())) {
            Delivery d = c.deliver(change);
            if (d.succeeded()) {
                // only the dead letter of what was delivered: a newer version that failed meanwhile stays
                if (!dls.removeIfAtMost(id, change.version())) {
                    LOG.info("dead letter {} stays: it now holds a version newer than {}", id, change.idempotencyKey());
                }
                core.acks.add(new Ack(change.id(), c.name, change.version(), null));
                LOG.info("replayed dead letter {} as {}", id, change.idempotencyKey());
                return SinkOutcome.APPLIED;
            }
            Instant now = core.cfg.observability().clock().instant();
            dls.add(new DeadLetter(core.type, dl.entityId(), change.version(), dl.sink(), d.attempts, d.kind, null,
                    SinkFailures.describe(d.error), correlationId, change.idempotencyKey(), now, now));
            LOG.warn("replay of dead letter {} failed ({}): {}", id, d.kind, SinkFailures.describe(d.error));
            return d.kind == ErrorKind.PERMANENT ? SinkOutcome.DEAD_LETTERED : SinkOutcome.DEFERRED;
        }
    }

    @Override
    public int replayAll(DeadLetterQuery query) {
        int applied = 0;
        for (DeadLetter dl : list(query)) {
            if (replay(dl.id()) == SinkOutcome.APPLIED) {
                applied++;
            }
        }
        return applied;
    }

    @Override
    public boolean discard(String id) {
        Objects.requireNonNull(id, "id");
        boolean removed = dls.remove(id);
        if (removed) {
            LOG.info("discarded dead letter {}", id);
        }
        return removed;
    }

    @Override
    public int discardAll(DeadLetterQuery query) {
        int n = 0;
        for (DeadLetter dl : list(query)) {
            if (discard(dl.id())) {
                n++;
            }
        }
        return n;
    }
}
