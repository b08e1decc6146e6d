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
package io.dualwrite.mongo.relay.internal;

import com.mongodb.MongoException;
import com.mongodb.client.ChangeStreamIterable;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.Redelivery;
import io.dualwrite.SinkOutcome;
import io.dualwrite.internal.Args;
import io.dualwrite.internal.RetryBackoff;
import io.dualwrite.mongo.internal.Ids;
import io.dualwrite.mongo.relay.ChangeStreamRelay;
import io.dualwrite.mongo.relay.Checkpoint;
import io.dualwrite.mongo.relay.DeferredChange;
import io.dualwrite.mongo.relay.Gap;
import io.dualwrite.mongo.relay.GapHandler;
import io.dualwrite.mongo.relay.RelayMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import org.bson.BsonArray;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.bson.BsonValue;
import org.bson.conversions.Bson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * The {@link ChangeStreamRelay}. Thread-safe: polls are serialised on this object.
 *
 * <pre>
 * checkpoint document: { _id: name, token: resume token | startAt: date, updatedAt, delivered,
 *                        deferred: [ { sink, id, v, n: failed attempts, due, kind?, first?, last? } ],
 *                        gaps: [ { at, code, message, lostToken?, resolvedAt? } ] }
 * </pre>
 *
 * <p>The token and the deferred changes of a batch are written in one update, so a change the
 * token has passed is either delivered, dead-lettered, or in {@code deferred}.
 *
 * @param <T> the entity type
 */
public final class DefaultChangeStreamRelay<T> implements ChangeStreamRelay {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultChangeStreamRelay.class);
    private static final String TOKEN = "token";
    private static final String START_AT = "startAt";
    private static final String UPDATED_AT = "updatedAt";
    private static final String DELIVERED = "delivered";
    private static final String GAPS = "gaps";
    private static final String DEFERRED = "deferred";
    private static final int MAX_ERROR_CHARS = 300;

    private final String name;
    private final MongoCollection<BsonDocument> watched;
    private final MongoCollection<BsonDocument> checkpoints;
    private final DualWriter<T> writer;
    private final List<String> sinks;
    private final Ids ids;
    private final int batchSize;
    private final int maxAttempts;
    private final RetryBackoff retryBackoff;
    private final GapHandler gapHandler;
    private final Clock clock;
    private final UnaryOperator<MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>>> decorator;
    private final String namespace;
    private final Counter changes;
    private final Counter eventsRead;
    private final Counter unidentified;
    private final Counter gapCounter;
    private final Counter deferrals;
    private final Counter deadLettered;
    /** What the waiting gauge reads; the gauge holds it strongly and is removed when the relay closes. */
    private final AtomicInteger waitingGauge = new AtomicInteger();
    private final MeterRegistry meters;
    private final Gauge waitingMeter;
    private final AtomicBoolean meterRemoved = new AtomicBoolean();

    private Checkpoint replayCheckpoint;
    private Instant replayTime;
    private MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>> cursor;
    /** The batch read but not yet checkpointed: ids still to deliver per sink (empty lists: only the checkpoint). */
    private Map<String, List<String>> owed;
    private BsonDocument owedToken;
    private int owedCount;
    /** Ids of the owed batch that some sink deferred. */
    private Set<String> owedDeferred;
    /** Per sink, by id, the changes waiting for another attempt; null until read from the checkpoint. */
    private Map<String, Map<String, DeferredChange>> waiting;
    private Gap openGap;
    /** Change events the last poll read, delivered or not (a batch may name no entity). */
    private int lastRead;
    private final PollingThread poller;
    private volatile boolean closed;

    /**
     * @param settings what the relay's builder collected and checked
     */
    public DefaultChangeStreamRelay(ChangeStreamRelaySettings<T> settings) {
        this.name = settings.name();
        this.watched = settings.watched();
        this.checkpoints = settings.checkpoints();
        this.writer = settings.writer();
        this.sinks = settings.sinks();
        this.ids = new Ids(settings.idType());
        this.batchSize = settings.polling().batchSize();
        this.maxAttempts = settings.maxAttempts();
        this.retryBackoff = settings.retryBackoff();
        this.gapHandler = settings.gapHandler();
        this.clock = settings.clock();
        this.decorator = settings.cursorDecorator();
        this.replayCheckpoint = settings.replayCheckpoint();
        this.replayTime = settings.replayTime();
        MeterRegistry registry = settings.meters();
        this.namespace = watched.getNamespace().getFullName();
        Tags tags = Tags.of(RelayMetrics.TAG_RELAY, name, RelayMetrics.TAG_COLLECTION,
                watched.getNamespace().getCollectionName());
        this.changes = registry.counter(RelayMetrics.CHANGES, tags);
        this.eventsRead = registry.counter(RelayMetrics.EVENTS_READ, tags);
        this.unidentified = registry.counter(RelayMetrics.UNIDENTIFIED, tags);
        this.gapCounter = registry.counter(RelayMetrics.GAPS, tags);
        this.deferrals = registry.counter(RelayMetrics.DEFERRED, tags);
        this.deadLettered = registry.counter(RelayMetrics.DEAD_LETTERED, tags);
        // a gauge of its own, not registry.gauge(...): that one keeps the first relay's value under these tags for
        // good, so a relay built again after a close would publish the closed one's count
        this.meters = registry;
        this.waitingMeter = Gauge.builder(RelayMetrics.WAITING, waitingGauge, AtomicInteger::get).tags(tags)
                .strongReference(true).register(registry);
        this.poller = new PollingThread("dualwrite-relay-" + name, this::pass, settings.polling().minBackoff(),
                settings.polling().maxBackoff());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public synchronized int pollOnce() {
        if (closed) {
            throw new IllegalStateException("relay " + name + " is closed");
        }
        applyReplay();
        loadWaiting();
        if (openGap != null) {
            finishGap();
        }
        lastRead = 0;
        int done = owed != null ? deliverOwed() : 0;
        done += retryDue();
        if (waitingCount() >= batchSize) {
            // as many changes as one batch wait for their sinks: read on once some of them are through
            LOG.debug("relay {}: {} deferred changes wait; it reads no further until fewer do", name, waitingCount());
            return done;
        }
        List<ChangeStreamDocument<BsonDocument>> events = new ArrayList<>();
        try {
            ensureCursor();
            while (events.size() < batchSize) {
                ChangeStreamDocument<BsonDocument> e = cursor.tryNext();
                if (e == null) {
                    break;
                }
                events.add(e);
            }
        } catch (MongoException e) {
            if (!ChangeStreamRelay.LOST_RESUME_POINT_CODES.contains(e.getCode())) {
                closeCursor();
                throw e;
            }
            if (!events.isEmpty()) {
                // what was read before the failure is still owed; the resync delivers it too
                LOG.debug("relay {} drops {} events read before its resume point was lost", name, events.size());
            }
            recordGap(e);
            finishGap();
            return done;
        }
        if (events.isEmpty()) {
            return done;
        }
        lastRead = events.size();
        eventsRead.increment(events.size());
        LinkedHashSet<String> changed = new LinkedHashSet<>();
        for (ChangeStreamDocument<BsonDocument> e : events) {
            BsonDocument key = e.getDocumentKey();
            BsonValue id = key == null ? null : key.get("_id");
            if (id == null) {
                // a real server always names _id; the in-JVM test server does not for updateOne
                unidentified.increment();
                LOG.debug("relay {} read a {} event without _id in its document key", name, e.getOperationTypeString());
                continue;
            }
            changed.add(ids.fromBson(id));
        }
        BsonDocument token = events.get(events.size() - 1).getResumeToken();
        owedToken = token != null ? token : cursor.getResumeToken();
        owed = new LinkedHashMap<>();
        for (String s : sinks) {
            owed.put(s, new ArrayList<>(changed));
        }
        owedCount = changed.size();
        owedDeferred = new HashSet<>();
        return done + deliverOwed();
    }

    /**
     * Delivers what the owed batch still owes each sink (a change a sink defers joins the waiting
     * ones), then writes the token and the waiting changes in one update. An entity that already
     * waits for a sink is not sent again before its backoff ends: its next attempt reads the
     * primary's current state, this batch's change included.
     *
     * @return entities of the batch that no sink deferred
     */
    private int deliverOwed() {
        for (Map.Entry<String, List<String>> e : owed.entrySet()) {
            if (e.getValue().isEmpty()) {
                continue;
            }
            Map<String, DeferredChange> mine = waiting.getOrDefault(e.getKey(), Map.of());
            List<String> now = new ArrayList<>();
            for (String id : e.getValue()) {
                if (mine.containsKey(id)) {
                    owedDeferred.add(id);
                } else {
                    now.add(id);
                }
            }
            if (!now.isEmpty()) {
                for (Redelivery r : redeliver(e.getKey(), now).values()) {
                    if (r.outcome() == SinkOutcome.DEFERRED) {
                        owedDeferred.add(r.id());
                    }
                }
            }
            e.setValue(List.of());
        }
        int n = owedCount - owedDeferred.size();
        List<Bson> set = new ArrayList<>(List.of(Updates.set(DEFERRED, waitingAsBson()), Updates.set(UPDATED_AT, now()),
                Updates.inc(DELIVERED, (long) n)));
        if (owedToken != null) {
            set.add(Updates.set(TOKEN, owedToken));
            set.add(Updates.unset(START_AT));
        }
        checkpoints.updateOne(Filters.eq("_id", name), Updates.combine(set), new UpdateOptions().upsert(true));
        changes.increment(n);
        owed = null;
        owedToken = null;
        owedCount = 0;
        owedDeferred = null;
        return n;
    }

    /**
     * Tries again the waiting changes whose backoff has ended, then stores what still waits.
     *
     * @return entities that no longer wait for any sink
     */
    private int retryDue() {
        Instant now = clock.instant();
        Set<String> tried = new LinkedHashSet<>();
        for (String sink : sinks) {
            List<String> due = new ArrayList<>();
            for (DeferredChange d : waiting.getOrDefault(sink, Map.of()).values()) {
                if (!d.due().isAfter(now) && due.size() < batchSize) {
                    due.add(d.id());
                }
            }
            if (!due.isEmpty()) {
                redeliver(sink, due);
                tried.addAll(due);
            }
        }
        if (tried.isEmpty()) {
            return 0;
        }
        int n = 0;
        for (String id : tried) {
            if (sinks.stream().noneMatch(s -> waiting.getOrDefault(s, Map.of()).containsKey(id))) {
                n++;
            }
        }
        checkpoints.updateOne(Filters.eq("_id", name), Updates.combine(Updates.set(DEFERRED, waitingAsBson()),
                Updates.set(UPDATED_AT, now()), Updates.inc(DELIVERED, (long) n)), new UpdateOptions().upsert(true));
        changes.increment(n);
        return n;
    }

    /**
     * Delivers ids to one sink through the writer, counting on from the attempts of the changes
     * that wait; a deferred one waits (again) for its backoff, any other outcome ends its wait.
     */
    private Map<String, Redelivery> redeliver(String sink, List<String> idList) {
        Map<String, DeferredChange> mine = waiting.computeIfAbsent(sink, k -> new LinkedHashMap<>());
        Map<String, Redelivery> earlier = new HashMap<>();
        for (String id : idList) {
            DeferredChange d = mine.get(id);
            if (d != null) {
                earlier.put(id, d.redelivery());
            }
        }
        Map<String, Redelivery> out = writer.operations().redeliver(sink, idList, earlier, maxAttempts);
        int waitingNow = 0;
        for (Redelivery r : out.values()) {
            if (r.outcome() == SinkOutcome.DEFERRED) {
                waitFor(sink, r);
                waitingNow++;
                continue;
            }
            mine.remove(r.id());
            if (r.outcome() == SinkOutcome.DEAD_LETTERED) {
                deadLettered.increment();
            }
        }
        if (waitingNow > 0) {
            LOG.warn("relay {}: {} of {} changes to sink {} failed transiently; they wait with the checkpoint and are"
                    + " tried again with backoff ({} attempts each at most)", name, waitingNow, out.size(), sink,
                    maxAttempts);
        }
        waitingGauge.set(waitingCount());
        return out;
    }

    /** A deferred delivery waits, with the checkpoint, for its backoff. */
    private void waitFor(String sink, Redelivery r) {
        waiting.computeIfAbsent(sink, k -> new LinkedHashMap<>()).put(r.id(), new DeferredChange(sink, r,
                clock.instant().plusMillis(retryBackoff.millis(r.id(), sink, r.attempts()))));
        deferrals.increment();
    }

    private Map<String, Map<String, DeferredChange>> copyOfWaiting() {
        Map<String, Map<String, DeferredChange>> copy = new LinkedHashMap<>();
        waiting.forEach((sink, m) -> copy.put(sink, new LinkedHashMap<>(m)));
        return copy;
    }

    private int waitingCount() {
        int n = 0;
        for (String sink : sinks) {
            n += waiting.getOrDefault(sink, Map.of()).size();
        }
        return n;
    }

    /** @return true when a waiting change's backoff has ended */
    private boolean anyDue() {
        Instant now = clock.instant();
        for (String sink : sinks) {
            for (DeferredChange d : waiting.getOrDefault(sink, Map.of()).values()) {
                if (!d.due().isAfter(now)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Reads the waiting changes from the checkpoint once; those of sinks this relay does not feed are dropped. */
    private void loadWaiting() {
        if (waiting != null) {
            return;
        }
        Map<String, Map<String, DeferredChange>> loaded = new LinkedHashMap<>();
        int foreign = 0;
        for (DeferredChange d : deferred()) {
            if (!sinks.contains(d.sink())) {
                foreign++;
                continue;
            }
            loaded.computeIfAbsent(d.sink(), k -> new LinkedHashMap<>()).put(d.id(), d);
        }
        if (foreign > 0) {
            LOG.warn("relay {} no longer feeds the sinks of {} deferred changes in its checkpoint; it drops them"
                    + " (a reconciliation of those sinks repairs what they miss)", name, foreign);
        }
        waiting = loaded;
        waitingGauge.set(waitingCount());
    }

    private BsonArray waitingAsBson() {
        BsonArray out = new BsonArray();
        for (String sink : sinks) {
            for (DeferredChange d : waiting.getOrDefault(sink, Map.of()).values()) {
                Redelivery r = d.redelivery();
                BsonDocument doc = new BsonDocument("sink", new BsonString(sink)).append("id", new BsonString(r.id()))
                        .append("v", new BsonInt64(r.version())).append("n", new BsonInt32(r.attempts()))
                        .append("due", new BsonDateTime(d.due().toEpochMilli()));
                r.kind().ifPresent(k -> doc.append("kind", new BsonString(k.name())));
                r.firstError().ifPresent(e -> doc.append("first", new BsonString(shortened(e))));
                r.lastError().ifPresent(e -> doc.append("last", new BsonString(shortened(e))));
                out.add(doc);
            }
        }
        return out;
    }

    /** Keeps the checkpoint document small: a full batch of changes per sink may wait in it. */
    private static String shortened(String error) {
        return error.length() <= MAX_ERROR_CHARS ? error : error.substring(0, MAX_ERROR_CHARS) + "…";
    }

    private static DeferredChange deferredOf(BsonDocument d) {
        Redelivery r = new Redelivery(d.getString("id").getValue(), SinkOutcome.DEFERRED, d.getNumber("v").longValue(),
                d.getNumber("n").intValue(),
                d.isString("kind") ? Optional.of(ErrorKind.valueOf(d.getString("kind").getValue())) : Optional.empty(),
                d.isString("first") ? Optional.of(d.getString("first").getValue()) : Optional.empty(),
                d.isString("last") ? Optional.of(d.getString("last").getValue()) : Optional.empty());
        return new DeferredChange(d.getString("sink").getValue(), r, instant(d.get("due")));
    }

    private void applyReplay() {
        if (replayCheckpoint == null && replayTime == null) {
            return;
        }
        closeCursor();
        owed = null;
        List<Bson> ops = new ArrayList<>();
        if (replayCheckpoint != null && replayCheckpoint.resumeToken().isPresent()) {
            ops.add(Updates.set(TOKEN, replayCheckpoint.resumeToken().get()));
            ops.add(Updates.unset(START_AT));
        } else {
            Instant at = replayTime != null ? replayTime : replayCheckpoint.startAt().orElse(null);
            ops.add(Updates.unset(TOKEN));
            ops.add(at == null ? Updates.unset(START_AT) : Updates.set(START_AT, new BsonDateTime(at.toEpochMilli())));
        }
        ops.add(Updates.set(UPDATED_AT, now()));
        checkpoints.updateOne(Filters.eq("_id", name), Updates.combine(ops), new UpdateOptions().upsert(true));
        LOG.info("relay {} replays from {}", name, replayCheckpoint != null ? "a stored checkpoint" : replayTime);
        replayCheckpoint = null;
        replayTime = null;
    }

    private void ensureCursor() {
        if (cursor != null) {
            return;
        }
        ChangeStreamIterable<BsonDocument> stream = watched.watch().batchSize(batchSize);
        Optional<Checkpoint> cp = checkpoint();
        if (cp.isPresent() && cp.get().resumeToken().isPresent()) {
            stream = stream.resumeAfter(cp.get().resumeToken().get());
        } else if (cp.isPresent() && cp.get().startAt().isPresent()) {
            stream = stream.startAtOperationTime(new BsonTimestamp((int) cp.get().startAt().get().getEpochSecond(), 0));
        } else if (cp.isEmpty()) {
            // a first start begins at the present; remember that moment at once, so a relay that dies
            // before its first checkpoint restarts from there instead of from a later present
            checkpoints.updateOne(Filters.eq("_id", name), Updates.combine(
                    Updates.setOnInsert(START_AT, new BsonDateTime(clock.instant().minusSeconds(1).toEpochMilli())),
                    Updates.setOnInsert(UPDATED_AT, now())), new UpdateOptions().upsert(true));
        }
        cursor = decorator.apply(stream.cursor());
    }

    private void recordGap(MongoException e) {
        closeCursor();
        owed = null;
        Optional<BsonDocument> lost = checkpoint().flatMap(Checkpoint::resumeToken);
        Instant at = clock.instant();
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        openGap = new Gap(name, namespace, lost, at, e.getCode(), message);
        BsonDocument entry = new BsonDocument("at", new BsonDateTime(at.toEpochMilli()))
                .append("code", new BsonInt32(e.getCode())).append("message", new BsonString(message));
        lost.ifPresent(t -> entry.append("lostToken", t));
        checkpoints.updateOne(Filters.eq("_id", name), Updates.combine(Updates.push(GAPS, entry),
                Updates.set(UPDATED_AT, now())), new UpdateOptions().upsert(true));
        gapCounter.increment();
        LOG.error("relay {} on {} lost its resume point (code {}): the changes since its last checkpoint are unknown;"
                + " the gap is recorded, a resync runs, then the relay continues from the present", name, namespace,
                e.getCode());
    }

    private void finishGap() {
        // the new stream is opened before the repair, so whatever changes during the repair comes after it
        if (cursor == null) {
            cursor = decorator.apply(watched.watch().batchSize(batchSize).cursor());
        }
        // what the repair could only defer waits with the checkpoint, as a change read from the stream would
        Map<String, Map<String, DeferredChange>> before = copyOfWaiting();
        try {
            gapHandler.handle(openGap, (sink, r) -> {
                Objects.requireNonNull(r, "redelivery");
                if (!sinks.contains(sink) || r.outcome() != SinkOutcome.DEFERRED) {
                    throw new IllegalArgumentException("the relay " + name + " takes deferred deliveries to its own"
                            + " sinks " + sinks + ", not " + r.outcome() + " to " + sink);
                }
                waitFor(sink, r);
            });
        } catch (RuntimeException e) {
            waiting = before; // the repair runs again, and defers again what it must
            throw e;
        }
        Instant resumeAt = openGap.detectedAt().minusSeconds(1);
        checkpoints.updateOne(Filters.and(Filters.eq("_id", name),
                        Filters.eq(GAPS + ".at", new BsonDateTime(openGap.detectedAt().toEpochMilli()))),
                Updates.combine(Updates.unset(TOKEN), Updates.set(START_AT, new BsonDateTime(resumeAt.toEpochMilli())),
                        Updates.set(DEFERRED, waitingAsBson()), Updates.set(GAPS + ".$.resolvedAt", now()),
                        Updates.set(UPDATED_AT, now())));
        waitingGauge.set(waitingCount());
        LOG.info("relay {} repaired its gap and continues from the present", name);
        openGap = null;
    }

    @Override
    public long drain(int maxPolls) {
        Args.atLeast(maxPolls, 1, "maxPolls");
        long total = 0;
        for (int i = 0; i < maxPolls; i++) {
            int n = pollOnce();
            total += n;
            if (n == 0 && idle()) {
                break;
            }
        }
        return total;
    }

    /** @return true when the last poll read nothing, nothing is owed or open, and no waiting change is due */
    private synchronized boolean idle() {
        return owed == null && openGap == null && lastRead == 0 && (waiting == null || !anyDue());
    }

    /** One pass of the polling thread: its size is what it delivered, or else what it read. */
    private int pass() {
        int n = pollOnce();
        synchronized (this) {
            return n > 0 ? n : lastRead;
        }
    }

    @Override
    public void start() {
        if (closed) {
            throw new IllegalStateException("relay " + name + " is closed");
        }
        poller.start();
    }

    @Override
    public Optional<Checkpoint> checkpoint() {
        BsonDocument d = stored();
        if (d == null) {
            return Optional.empty();
        }
        return Optional.of(new Checkpoint(name, d.containsKey(TOKEN) ? Optional.of(d.getDocument(TOKEN)) : Optional.empty(),
                d.containsKey(START_AT) ? Optional.of(instant(d.get(START_AT))) : Optional.empty(),
                d.containsKey(UPDATED_AT) ? instant(d.get(UPDATED_AT)) : Instant.EPOCH,
                d.containsKey(DELIVERED) ? d.getNumber(DELIVERED).longValue() : 0,
                d.containsKey(GAPS) ? d.getArray(GAPS).size() : 0));
    }

    @Override
    public List<DeferredChange> deferred() {
        BsonDocument d = stored();
        List<DeferredChange> out = new ArrayList<>();
        if (d == null || !d.isArray(DEFERRED)) {
            return out;
        }
        for (BsonValue v : d.getArray(DEFERRED)) {
            out.add(deferredOf(v.asDocument()));
        }
        out.sort(Comparator.comparing(DeferredChange::due));
        return out;
    }

    @Override
    public List<Gap> gaps() {
        BsonDocument d = stored();
        List<Gap> out = new ArrayList<>();
        if (d == null || !d.containsKey(GAPS)) {
            return out;
        }
        for (BsonValue v : d.getArray(GAPS)) {
            BsonDocument g = v.asDocument();
            out.add(new Gap(name, namespace, g.containsKey("lostToken") ? Optional.of(g.getDocument("lostToken"))
                    : Optional.empty(), instant(g.get("at")), g.getInt32("code").getValue(),
                    g.getString("message").getValue()));
        }
        return out;
    }

    /** @return the checkpoint document, or null before the relay first wrote one */
    private BsonDocument stored() {
        return checkpoints.find(Filters.eq("_id", name)).first();
    }

    private static Instant instant(BsonValue v) {
        return Instant.ofEpochMilli(v.asDateTime().getValue());
    }

    private BsonDateTime now() {
        return new BsonDateTime(clock.millis());
    }

    private synchronized void closeCursor() {
        if (cursor != null) {
            try {
                cursor.close();
            } catch (RuntimeException e) {
                LOG.debug("relay {}: closing its cursor failed ({})", name, e.toString());
            }
            cursor = null;
        }
    }

    @Override
    public void close() {
        closed = true;
        poller.stop();
        closeCursor();
        // once: the registry removes by id, and a relay built since under the same name has a gauge of that id
        if (meterRemoved.compareAndSet(false, true)) {
            meters.remove(waitingMeter);
        }
    }

    @Override
    public String toString() {
        return "ChangeStreamRelay{" + name + " on " + namespace + " -> " + sinks + "}";
    }
}
