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
import io.dualwrite.SinkOutcome;
import io.dualwrite.mongo.IdType;
import io.dualwrite.mongo.internal.Ids;
import io.dualwrite.mongo.relay.ChangeStreamRelay;
import io.dualwrite.mongo.relay.Checkpoint;
import io.dualwrite.mongo.relay.Gap;
import io.dualwrite.mongo.relay.GapHandler;
import io.dualwrite.mongo.relay.RelayMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.bson.BsonValue;
import org.bson.conversions.Bson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The {@link ChangeStreamRelay}. Thread-safe: polls are serialised on this object.
 *
 * <pre>
 * checkpoint document: { _id: name, token: resume token | startAt: date, updatedAt, delivered,
 *                        gaps: [ { at, code, message, lostToken?, resolvedAt? } ] }
 * </pre>
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

    private final String name;
    private final MongoCollection<BsonDocument> watched;
    private final MongoCollection<BsonDocument> checkpoints;
    private final DualWriter<T> writer;
    private final List<String> sinks;
    private final Ids ids;
    private final int batchSize;
    private final GapHandler gapHandler;
    private final Clock clock;
    private final UnaryOperator<MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>>> decorator;
    private final String namespace;
    private final Counter changes;
    private final Counter eventsRead;
    private final Counter unidentified;
    private final Counter gapCounter;
    private final Counter deferred;

    private Checkpoint replayCheckpoint;
    private Instant replayTime;
    private MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>> cursor;
    /** The batch read but not yet delivered to every sink: ids still owed per sink. */
    private Map<String, List<String>> owed;
    private BsonDocument owedToken;
    private int owedCount;
    private Gap openGap;
    /** Change events the last poll read, delivered or not (a batch may name no entity). */
    private int lastRead;
    private final PollingThread poller;
    private volatile boolean closed;

    /**
     * Made by {@link ChangeStreamRelay.Builder}; see its setters for the arguments.
     *
     * @param name             relay name
     * @param watched          the entity collection
     * @param checkpoints      the checkpoint collection
     * @param writer           the writer
     * @param sinks            the sinks fed
     * @param idType           id storage
     * @param batchSize        events per batch
     * @param minBackoff       shortest wait
     * @param maxBackoff       longest wait
     * @param gapHandler       what to do about a gap
     * @param registry         meters
     * @param clock            clock
     * @param decorator        cursor decorator
     * @param replayCheckpoint a checkpoint to start from, or null
     * @param replayTime       a time to start at, or null
     */
    public DefaultChangeStreamRelay(String name, MongoCollection<BsonDocument> watched,
                                    MongoCollection<BsonDocument> checkpoints, DualWriter<T> writer, List<String> sinks,
                                    IdType idType, int batchSize, Duration minBackoff, Duration maxBackoff,
                                    GapHandler gapHandler, MeterRegistry registry, Clock clock,
                                    UnaryOperator<MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>>> decorator,
                                    Checkpoint replayCheckpoint, Instant replayTime) {
        this.name = name;
        this.watched = watched;
        this.checkpoints = checkpoints;
        this.writer = writer;
        this.sinks = List.copyOf(sinks);
        this.ids = new Ids(idType);
        this.batchSize = batchSize;
        this.gapHandler = gapHandler;
        this.clock = clock;
        this.decorator = decorator;
        this.replayCheckpoint = replayCheckpoint;
        this.replayTime = replayTime;
        this.namespace = watched.getNamespace().getFullName();
        Tags tags = Tags.of(RelayMetrics.TAG_RELAY, name, RelayMetrics.TAG_COLLECTION,
                watched.getNamespace().getCollectionName());
        this.changes = registry.counter(RelayMetrics.CHANGES, tags);
        this.eventsRead = registry.counter(RelayMetrics.EVENTS_READ, tags);
        this.unidentified = registry.counter(RelayMetrics.UNIDENTIFIED, tags);
        this.gapCounter = registry.counter(RelayMetrics.GAPS, tags);
        this.deferred = registry.counter(RelayMetrics.DEFERRED, tags);
        this.poller = new PollingThread("dualwrite-relay-" + name, this::pass, minBackoff, maxBackoff);
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
        if (openGap != null) {
            finishGap();
        }
        lastRead = 0;
        if (owed != null) {
            return deliverOwed();
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
            return 0;
        }
        if (events.isEmpty()) {
            return 0;
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
        return deliverOwed();
    }

    /** @return entities delivered, or 0 when some delivery was deferred (the batch stays owed) */
    private int deliverOwed() {
        int left = 0;
        for (Map.Entry<String, List<String>> e : owed.entrySet()) {
            if (e.getValue().isEmpty()) {
                continue;
            }
            Map<String, SinkOutcome> out = writer.redeliver(e.getKey(), e.getValue());
            List<String> still = new ArrayList<>();
            for (String id : e.getValue()) {
                if (out.get(id) == SinkOutcome.DEFERRED) {
                    still.add(id);
                }
            }
            e.setValue(still);
            left += still.size();
        }
        if (left > 0) {
            deferred.increment();
            LOG.warn("relay {}: {} deliveries deferred by a transient sink failure; the batch and its checkpoint wait",
                    name, left);
            return 0;
        }
        int n = owedCount;
        Bson set = owedToken == null ? Updates.set(UPDATED_AT, now())
                : Updates.combine(Updates.set(TOKEN, owedToken), Updates.unset(START_AT), Updates.set(UPDATED_AT, now()));
        checkpoints.updateOne(Filters.eq("_id", name), Updates.combine(set, Updates.inc(DELIVERED, (long) n)),
                new UpdateOptions().upsert(true));
        changes.increment(n);
        owed = null;
        owedToken = null;
        owedCount = 0;
        return n;
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
        gapHandler.handle(openGap);
        Instant resumeAt = openGap.detectedAt().minusSeconds(1);
        checkpoints.updateOne(Filters.and(Filters.eq("_id", name),
                        Filters.eq(GAPS + ".at", new BsonDateTime(openGap.detectedAt().toEpochMilli()))),
                Updates.combine(Updates.unset(TOKEN), Updates.set(START_AT, new BsonDateTime(resumeAt.toEpochMilli())),
                        Updates.set(GAPS + ".$.resolvedAt", now()), Updates.set(UPDATED_AT, now())));
        LOG.info("relay {} repaired its gap and continues from the present", name);
        openGap = null;
    }

    @Override
    public long drain(int maxPolls) {
        if (maxPolls < 1) {
            throw new IllegalArgumentException("maxPolls must be at least 1, was " + maxPolls);
        }
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

    /** @return true when the last poll read nothing and nothing is owed or open */
    private synchronized boolean idle() {
        return owed == null && openGap == null && lastRead == 0;
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
        BsonDocument d = checkpoints.find(Filters.eq("_id", name)).first();
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
    public List<Gap> gaps() {
        BsonDocument d = checkpoints.find(Filters.eq("_id", name)).first();
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
    }

    @Override
    public String toString() {
        return "ChangeStreamRelay{" + name + " on " + namespace + " -> " + sinks + "}";
    }
}
