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
package io.dualwrite.mongo.events.internal;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import io.dualwrite.Change;
import io.dualwrite.DeadLetter;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import io.dualwrite.IdempotencyKeys;
import io.dualwrite.Operation;
import io.dualwrite.SinkPipeline;
import io.dualwrite.SinkSettings;
import io.dualwrite.internal.Args;
import io.dualwrite.internal.RetryBackoff;
import io.dualwrite.mongo.DualWriteFilters;
import io.dualwrite.mongo.events.EmbeddedEventRelay;
import io.dualwrite.mongo.events.EmbeddedEvents;
import io.dualwrite.mongo.events.EventRecorder;
import io.dualwrite.mongo.internal.EntityCodec;
import io.dualwrite.mongo.internal.Ids;
import io.dualwrite.mongo.internal.Meta;
import io.dualwrite.mongo.internal.OnPrimary;
import io.dualwrite.mongo.relay.RelayMetrics;
import io.dualwrite.mongo.relay.internal.PollingThread;
import io.dualwrite.spi.DeadLetterStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import org.bson.BsonArray;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.conversions.Bson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@link EmbeddedEventRelay}. Thread-safe: passes may run concurrently (each document is
 * leased to one pass).
 *
 * @param <T> the entity type
 */
public final class DefaultEmbeddedEventRelay<T> implements EmbeddedEventRelay {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultEmbeddedEventRelay.class);
    private static final int MAX_RACES = 1000;
    private static final String DUE = EventFields.PATH + "." + EventFields.DUE;
    private static final String OWNER = EventFields.PATH + "." + EventFields.OWNER;
    private static final String UNTIL = EventFields.PATH + "." + EventFields.UNTIL;

    private final MongoCollection<BsonDocument> raw;
    private final EntityCodec<T> codec;
    private final String collectionName;
    private final String entityType;
    private final Map<String, SinkPipeline<T>> sinks;
    private final Map<String, Duration> longest = new LinkedHashMap<>();
    private final DeadLetterStore deadLetters;
    private final Ids ids;
    private final String owner;
    private final Duration lease;
    private final int batchSize;
    private final int maxAttempts;
    private final RetryBackoff backoff;
    private final int schemaVersion;
    private final Clock clock;
    private final Map<String, Counter> published = new LinkedHashMap<>();
    private final Counter deferred;
    private final Counter deadLettered;
    private final PollingThread poller;
    private volatile boolean closed;

    /**
     * @param settings what the relay's builder collected and checked
     */
    public DefaultEmbeddedEventRelay(EventRelaySettings<T> settings) {
        MongoCollection<T> collection = settings.collection();
        this.raw = OnPrimary.of(collection.withDocumentClass(BsonDocument.class));
        this.codec = new EntityCodec<>(collection.getCodecRegistry(), collection.getDocumentClass());
        this.collectionName = collection.getNamespace().getCollectionName();
        this.entityType = settings.entityType();
        this.sinks = new LinkedHashMap<>();
        MeterRegistry registry = settings.meters();
        for (Map.Entry<String, EventRelaySettings.EventSink<T>> e : settings.sinks().entrySet()) {
            SinkSettings own = e.getValue().settings();
            SinkPipeline.Builder<T> b = SinkPipeline.builder(entityType, e.getKey(), e.getValue().sink()).settings(own)
                    .meterRegistry(registry).path("events");
            if (settings.breakers() != null) {
                b.circuitBreakerRegistry(settings.breakers());
            }
            this.sinks.put(e.getKey(), b.build());
            // a delivery starts only while the lease holds it even as a relay whose clock is ahead judges it
            this.longest.put(e.getKey(), longestDelivery(own).plus(settings.passes().maxClockSkew()));
        }
        this.deadLetters = settings.deadLetters();
        this.ids = new Ids(settings.idType());
        this.owner = settings.passes().owner();
        this.lease = settings.passes().lease();
        this.batchSize = settings.passes().batchSize();
        this.maxAttempts = settings.maxAttempts();
        this.backoff = settings.backoff();
        this.schemaVersion = settings.schemaVersion();
        this.clock = settings.clock();
        Tags tags = Tags.of(RelayMetrics.TAG_COLLECTION, collectionName);
        for (String s : sinks.keySet()) {
            published.put(s, registry.counter(RelayMetrics.EVENTS_PUBLISHED, tags.and(RelayMetrics.TAG_SINK, s)));
        }
        this.deferred = registry.counter(RelayMetrics.EVENTS_FAILED, tags.and(RelayMetrics.TAG_OUTCOME, "deferred"));
        this.deadLettered = registry.counter(RelayMetrics.EVENTS_FAILED,
                tags.and(RelayMetrics.TAG_OUTCOME, "dead_lettered"));
        Duration pollInterval = settings.passes().pollInterval();
        this.poller = new PollingThread("dualwrite-events-" + collectionName, this::publishDue, pollInterval,
                pollInterval);
        if (settings.createIndexes()) {
            raw.createIndex(Indexes.ascending(DUE, "_id"), new IndexOptions().name(EmbeddedEvents.INDEX_DUE).sparse(true));
        }
    }

    @Override
    public int publishDue() {
        if (closed) {
            throw new IllegalStateException("the event relay of " + collectionName + " is closed");
        }
        Instant now = clock.instant();
        BsonDateTime nowDate = new BsonDateTime(now.toEpochMilli());
        // the lease's end as stored (whole milliseconds): what another relay judges, so what this one keeps within
        BsonDateTime until = new BsonDateTime(now.plus(lease).toEpochMilli());
        Instant leaseEnd = Instant.ofEpochMilli(until.getValue());
        Bson due = Filters.and(Filters.lte(DUE, nowDate),
                Filters.or(Filters.exists(UNTIL, false), Filters.lte(UNTIL, nowDate)));
        List<BsonDocument> candidates = raw.find(due).sort(Sorts.ascending(DUE, "_id"))
                .projection(new BsonDocument("_id", new BsonInt32(1)).append(Meta.REV_PATH, new BsonInt32(1)))
                .limit(batchSize).into(new ArrayList<>());
        int total = 0;
        for (BsonDocument c : candidates) {
            long rev = c.getDocument(DualWriteFilters.FIELD).getNumber("rev").longValue();
            BsonDocument claimed = raw.findOneAndUpdate(Filters.and(Filters.eq("_id", c.get("_id")),
                            Filters.eq(Meta.REV_PATH, rev), due),
                    Updates.combine(Updates.set(OWNER, new BsonString(owner)),
                            Updates.set(UNTIL, until),
                            Updates.inc(Meta.REV_PATH, 1L)),
                    new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
            if (claimed != null) {
                total += publish(claimed, leaseEnd);
            }
        }
        return total;
    }

    /**
     * Publishes one claimed document's events, then removes what every sink has. Stops early when
     * the lease runs out, so another relay that claims the document next never publishes at the
     * same time (an apply itself must finish within the lease). Whatever a sink throws for an event
     * is that event's own failure (the JVM's fatal errors excepted): a transient one stops that
     * sink at the event until its next attempt, anything else moves the sink past it.
     */
    private int publish(BsonDocument doc, Instant leaseEnd) {
        String id = ids.fromBson(doc.get("_id"));
        BsonDocument ev = doc.getDocument(DualWriteFilters.FIELD).getDocument(EventRecorder.FIELD);
        List<BsonDocument> list = new ArrayList<>();
        for (BsonValue v : ev.getArray(EventFields.LIST, new BsonArray())) {
            if (v.isDocument() && v.asDocument().isNumber("v")) {
                list.add(v.asDocument());
            } else {
                // a record without a version (a hand edit, a bug) cannot be ordered, published or told from another:
                // every sink's dead letter says so, and finish drops it
                BsonValue key = v.isDocument() ? v.asDocument().get("key") : null;
                for (String sink : sinks.keySet()) {
                    deadLetter(id, 0, null, key != null && key.isString() ? key.asString().getValue() : null, sink, 1,
                            ErrorKind.PERMANENT, null, "an event record without a version cannot be published: " + v);
                }
            }
        }
        list.sort((a, b) -> Long.compare(a.getNumber("v").longValue(), b.getNumber("v").longValue()));
        BsonDocument sentDoc = ev.getDocument(EventFields.SENT, new BsonDocument());
        BsonValue failedBefore = ev.get(EventFields.FAILED);
        BsonDocument earlier = failedBefore != null && failedBefore.isDocument() ? failedBefore.asDocument()
                : new BsonDocument();
        Map<String, Long> sent = new LinkedHashMap<>();
        BsonDocument failed = new BsonDocument();
        Duration retryIn = null;
        int count = 0;
        for (Map.Entry<String, SinkPipeline<T>> s : sinks.entrySet()) {
            long upTo = sentDoc.containsKey(s.getKey()) ? sentDoc.getNumber(s.getKey()).longValue() : 0;
            for (BsonDocument rec : list) {
                long v = rec.getNumber("v").longValue();
                if (v <= upTo) {
                    continue;
                }
                if (Duration.between(clock.instant(), leaseEnd).compareTo(longest.get(s.getKey())) <= 0) {
                    // never start a delivery that could outlive the lease: another relay may claim the document then
                    LOG.debug("lease on {}/{} ends before a delivery to {} could; the rest waits for the next claim",
                            collectionName, id, s.getKey());
                    // the sink was not tried: the attempts its next event already spent stay counted
                    BsonValue prior = earlier.get(s.getKey());
                    if (prior != null && prior.isDocument() && prior.asDocument().isNumber("v")
                            && prior.asDocument().getNumber("v").longValue() == v) {
                        failed.append(s.getKey(), prior);
                    }
                    break;
                }
                Change<T> change;
                try {
                    change = changeOf(id, rec);
                } catch (RuntimeException | Error undecodable) {
                    ErrorClassifier.rethrowIfFatal(undecodable);
                    // the event's recorded state cannot be decoded: no sink can be given it, and trying it again
                    // changes nothing; the sink moves past it, and the dead letter records it (its version, key and
                    // correlation id) for the operator
                    String key = rec.isString("key") ? rec.getString("key").getValue()
                            : IdempotencyKeys.of(entityType, id, v);
                    String corr = rec.isString("corr") ? rec.getString("corr").getValue() : null;
                    deadLetter(id, v, corr, key, s.getKey(), 1, ErrorKind.PERMANENT, null,
                            "the event cannot be decoded: " + describe(undecodable));
                    upTo = v;
                    continue;
                }
                SinkPipeline.Outcome out = s.getValue().deliver(change);
                if (out.succeeded()) {
                    upTo = v;
                    count++;
                    published.get(s.getKey()).increment();
                    continue;
                }
                // the attempts of this event at this sink: a later event of the entity starts its own count
                BsonValue prior = earlier.get(s.getKey());
                boolean same = prior != null && prior.isDocument()
                        && prior.asDocument().getNumber("v", new BsonInt64(0)).longValue() == v;
                int before = same ? prior.asDocument().getNumber("n", new BsonInt32(0)).intValue() : 0;
                String error = describe(out.error());
                String firstError = same && prior.asDocument().isString("first")
                        ? prior.asDocument().getString("first").getValue() : error;
                // a sink that was not called (its circuit is open) spends no attempt: a long outage never turns
                // events into dead letters
                int attempts = out.notCalled() ? before : before + 1;
                if (!out.notCalled() && (out.kind() == ErrorKind.PERMANENT || attempts >= maxAttempts)) {
                    deadLetter(change, s.getKey(), attempts, out.kind(), firstError, error);
                    upTo = v;
                    continue;
                }
                deferred.increment();
                LOG.warn("event {} for sink {} {} ({}, attempt {} of {}); retrying later: {}",
                        change.idempotencyKey(), s.getKey(), out.notCalled() ? "was not sent" : "failed", out.kind(),
                        attempts, maxAttempts, error);
                failed.append(s.getKey(), new BsonDocument("v", new BsonInt64(v))
                        .append("n", new BsonInt32(attempts)).append("first", new BsonString(firstError)));
                // the document comes due when every failed sink's own wait has passed
                Duration wait = Duration.ofMillis(backoff.millis(id, s.getKey(), Math.max(1, attempts)))
                        .plus(out.notCalled() ? s.getValue().notCalledPause() : Duration.ZERO);
                retryIn = retryIn == null || wait.compareTo(retryIn) > 0 ? wait : retryIn;
                break;
            }
            sent.put(s.getKey(), upTo);
        }
        finish(doc.get("_id"), sent, failed, retryIn);
        return count;
    }

    private Change<T> changeOf(String id, BsonDocument rec) {
        Operation op = Operation.valueOf(rec.getString("op").getValue());
        long v = rec.getNumber("v").longValue();
        Change.Builder<T> b = Change.<T>builder().entityType(entityType).id(id).version(v).operation(op)
                .correlationId(rec.getString("corr").getValue())
                .time(Instant.ofEpochMilli(rec.getDateTime("at").getValue())).schemaVersion(schemaVersion);
        if (rec.containsKey("key")) {
            b.idempotencyKey(rec.getString("key").getValue());
        }
        if (op == Operation.UPSERT) {
            b.state(codec.decode(rec.getDocument("state").clone()));
        }
        return b.build();
    }

    /**
     * @param settings a sink's settings
     * @return the longest one delivery to it may take: every attempt's time limit, and the longest wait between
     *         two of them, {@link SinkSettings#maxBackoff()} (a sink that asks for a pause, a {@code Retry-After},
     *         is waited for up to that long whatever the backoff schedule says)
     */
    public static Duration longestDelivery(SinkSettings settings) {
        return settings.attemptTimeout().multipliedBy(settings.maxAttempts())
                .plus(settings.maxBackoff().multipliedBy(settings.maxAttempts() - 1L));
    }

    private static String describe(Throwable e) {
        String s = e.getClass().getSimpleName() + ": " + e.getMessage();
        return s.length() > 1000 ? s.substring(0, 1000) + "…" : s;
    }

    private void deadLetter(Change<T> change, String sink, int attempts, ErrorKind kind, String firstError,
                            String error) {
        deadLetter(change.id(), change.version(), change.correlationId(), change.idempotencyKey(), sink, attempts, kind,
                firstError, error);
    }

    private void deadLetter(String id, long version, String correlationId, String key, String sink, int attempts,
                            ErrorKind kind, String firstError, String error) {
        Instant now = clock.instant();
        deadLetters.add(new DeadLetter(entityType, id, version, sink, attempts, kind,
                firstError != null ? firstError : error, error, correlationId, key, now, now));
        deadLettered.increment();
        LOG.error("event {} could not be published to sink {} ({}, {} attempts): {}; it is in the dead-letter store",
                key, sink, kind, attempts, error);
    }

    /**
     * Records per sink what was published and what waits for another attempt, removes the events
     * every sink has, and releases the lease, conditional on the revision (a commit may have
     * appended events meanwhile).
     *
     * @param retryIn null when nothing failed transiently, else the wait before the next attempt
     */
    private void finish(BsonValue key, Map<String, Long> sent, BsonDocument failed, Duration retryIn) {
        long all = Long.MAX_VALUE;
        for (long v : sent.values()) {
            all = Math.min(all, v);
        }
        for (int race = 0; race < MAX_RACES; race++) {
            BsonDocument d = raw.find(Filters.eq("_id", key)).first();
            if (d == null) {
                return;
            }
            BsonDocument meta = d.getDocument(DualWriteFilters.FIELD);
            BsonDocument ev = meta.getDocument(EventRecorder.FIELD, null);
            if (ev == null) {
                return;
            }
            if (ev.containsKey(EventFields.OWNER) && !owner.equals(ev.getString(EventFields.OWNER).getValue())) {
                // our lease ran out and another relay claimed the document: it records its own progress
                return;
            }
            long rev = meta.getNumber("rev").longValue();
            BsonArray remaining = new BsonArray();
            int bytes = 0;
            Instant firstAt = null;
            for (BsonValue v : ev.getArray(EventFields.LIST, new BsonArray())) {
                // (a record without a version was dead-lettered by the pass: it goes)
                if (v.isDocument() && v.asDocument().isNumber("v") && v.asDocument().getNumber("v").longValue() > all) {
                    BsonDocument rec = v.asDocument();
                    remaining.add(rec);
                    bytes += rec.isNumber("n") ? rec.getNumber("n").intValue() : 0;
                    // a record without its time (a hand edit) is due now; its sinks dead-letter it as undecodable
                    Instant at = rec.isDateTime("at") ? Instant.ofEpochMilli(rec.getDateTime("at").getValue())
                            : clock.instant();
                    firstAt = firstAt == null || at.isBefore(firstAt) ? at : firstAt;
                }
            }
            Bson cond = Filters.and(Filters.eq("_id", key), Filters.eq(Meta.REV_PATH, rev));
            long matched;
            if (remaining.isEmpty()) {
                matched = raw.updateOne(cond, Updates.combine(Updates.unset(EventFields.PATH),
                        Updates.inc(Meta.REV_PATH, 1L))).getMatchedCount();
            } else {
                BsonDocument sentDoc = new BsonDocument();
                sent.forEach((s, v) -> sentDoc.append(s, new BsonInt64(v)));
                Instant next = retryIn != null ? clock.instant().plus(retryIn) : firstAt;
                BsonDocument nextEv = new BsonDocument(EventFields.DUE, new BsonDateTime(next.toEpochMilli()));
                if (!failed.isEmpty()) {
                    nextEv.append(EventFields.FAILED, failed);
                }
                nextEv.append(EventFields.SENT, sentDoc).append(EventFields.BYTES, new BsonInt32(bytes))
                        .append(EventFields.LIST, remaining);
                matched = raw.updateOne(cond, Updates.combine(Updates.set(EventFields.PATH, nextEv),
                        Updates.inc(Meta.REV_PATH, 1L))).getMatchedCount();
            }
            if (matched == 1) {
                return;
            }
        }
        throw new IllegalStateException("could not record the published events of " + collectionName + "/" + key
                + " after " + MAX_RACES + " races");
    }

    @Override
    public long drain(int maxPasses) {
        Args.atLeast(maxPasses, 1, "maxPasses");
        long total = 0;
        for (int i = 0; i < maxPasses; i++) {
            int n = publishDue();
            total += n;
            if (n == 0) {
                break;
            }
        }
        return total;
    }

    @Override
    public long backlog() {
        return raw.countDocuments(Filters.exists(DUE));
    }

    @Override
    public void start() {
        if (closed) {
            throw new IllegalStateException("the event relay of " + collectionName + " is closed");
        }
        poller.start();
    }

    @Override
    public void close() {
        closed = true;
        poller.stop();
        sinks.values().forEach(SinkPipeline::close);
    }

    @Override
    public String toString() {
        return "EmbeddedEventRelay{" + collectionName + " -> " + sinks.keySet() + ", owner=" + owner + "}";
    }
}
