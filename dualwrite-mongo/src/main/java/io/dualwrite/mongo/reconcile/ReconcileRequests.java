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
package io.dualwrite.mongo.reconcile;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import io.dualwrite.internal.Args;
import io.dualwrite.mongo.internal.OnPrimary;
import io.dualwrite.reconcile.ReconcileMode;
import io.dualwrite.reconcile.ReconcileProgress;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.ObjectId;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.lte;
import static com.mongodb.client.model.Filters.or;

/**
 * Reconciliation requests in the primary, one document each: an operator (or a tool such as the {@code dualwrite}
 * command line) {@linkplain #submit records} what to reconcile, the application's {@link ReconcileRequestWorker}
 * takes each request under a lease, runs it, and writes its progress and its final report into the same document,
 * where anyone {@linkplain #get reads} them. Needs no more than the database: the tool that records a request does not
 * need the application's sinks or mappings.
 *
 * <p>A request is taken with one atomic conditional update, so of several instances polling at once exactly one
 * gets it; every later write of its holder is fenced by the holder's name and the attempt it took, so a holder whose
 * lease ran out (and whose request another instance took over) changes nothing any more. A finished request is never
 * taken again.
 *
 * <pre>{@code
 * ReconcileRequests requests = ReconcileRequests.builder(database).build();
 * ReconcileRequest r = requests.submit("product", ReconcileScope.all().sinks("cache"), ReconcileMode.APPLY, "alice");
 * // ... the application's ReconcileRequestWorker runs it ...
 * requests.get(r.id()).flatMap(ReconcileRequest::finalReport).ifPresent(rep -> System.out.println(rep.summary()));
 * }</pre>
 * Thread-safe.
 */
public final class ReconcileRequests {
    /** Default collection of requests. */
    public static final String DEFAULT_COLLECTION = "dualwrite_reconcile_requests";
    /** The phase of a request no instance has taken yet. */
    public static final String PHASE_WAITING = "waiting for an instance";
    /** The phase of a request that ended. */
    public static final String PHASE_DONE = "done";
    /** The phase of a request that failed. */
    public static final String PHASE_FAILED = "failed";

    static final String STATUS = "status";
    static final String OWNER = "owner";
    static final String ATTEMPTS = "attempts";
    static final String LEASE_UNTIL = "leaseUntil";
    static final String REQUESTED_AT = "requestedAt";
    static final String TYPE = "type";

    private final MongoCollection<Document> collection;
    private final Clock clock;

    private ReconcileRequests(MongoCollection<Document> collection, Clock clock) {
        this.collection = collection;
        this.clock = clock;
    }

    /**
     * @param database the database that holds the collection (the primary's)
     * @return a new builder
     */
    public static Builder builder(MongoDatabase database) {
        return new Builder(database);
    }

    /** @return the collection of requests */
    public MongoCollection<Document> collection() {
        return collection;
    }

    /**
     * @param id a text
     * @return whether it has the shape of a request's id (24 hexadecimal digits)
     */
    public static boolean isValidId(String id) {
        return id != null && ObjectId.isValid(id);
    }

    /**
     * Records a request, {@link RequestStatus#PENDING}: the next instance that polls takes it. Checks nothing
     * against the application (its entity types and sinks are the application's to know): a request it cannot run is
     * marked {@link RequestStatus#FAILED} with the reason.
     *
     * @param entityType  the entity type, not blank
     * @param scope       the ids and sinks, not null
     * @param mode        dry run or apply, not null
     * @param requestedBy who asks, not blank (recorded with the request)
     * @return the request as recorded
     * @throws IllegalArgumentException if entityType or requestedBy is blank
     */
    public ReconcileRequest submit(String entityType, ReconcileScope scope, ReconcileMode mode, String requestedBy) {
        Args.notBlank(Objects.requireNonNull(entityType, "entityType"), "entityType");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(mode, "mode");
        Args.notBlank(Objects.requireNonNull(requestedBy, "requestedBy"), "requestedBy");
        ObjectId id = new ObjectId();
        Document d = new Document("_id", id).append(TYPE, entityType).append("mode", mode.name())
                .append("scope", ScopeFields.write(scope)).append("requestedBy", requestedBy)
                .append(REQUESTED_AT, Date.from(clock.instant())).append(STATUS, RequestStatus.PENDING.name())
                .append("phase", PHASE_WAITING).append(ATTEMPTS, 0);
        collection.insertOne(d);
        return read(d);
    }

    /**
     * @param id a request's id
     * @return the request, empty if there is none with that id
     * @throws IllegalArgumentException if the id is not 24 hexadecimal digits
     */
    public Optional<ReconcileRequest> get(String id) {
        return Optional.ofNullable(collection.find(eq("_id", objectId(id))).first()).map(ReconcileRequests::read);
    }

    /**
     * @param entityType only this entity type's; null for every type
     * @param limit      the most requests, at least 1
     * @return requests, the latest recorded first
     * @throws IllegalArgumentException if limit is below 1
     */
    public List<ReconcileRequest> list(String entityType, int limit) {
        Args.atLeast(limit, 1, "limit");
        Bson filter = entityType == null ? new Document() : eq(TYPE, entityType);
        List<ReconcileRequest> out = new ArrayList<>();
        for (Document d : collection.find(filter).sort(Sorts.descending(REQUESTED_AT, "_id")).limit(limit)) {
            out.add(read(d));
        }
        return out;
    }

    /**
     * @param runId a reconciliation run's id, as its report names it
     * @return the request that run served, empty when the run was not requested (or not yet begun)
     */
    public Optional<ReconcileRequest> ofRun(String runId) {
        Objects.requireNonNull(runId, "runId");
        return Optional.ofNullable(collection.find(eq("runId", runId)).sort(Sorts.descending(REQUESTED_AT)).first())
                .map(ReconcileRequests::read);
    }

    // ------------------------------------------------------------------ the worker's side, fenced by owner and attempt

    /** @return the oldest request that is pending or whose holder's lease ran out, now held by {@code owner} */
    Optional<ReconcileRequest> claim(String owner, Duration lease) {
        Instant now = clock.instant();
        Bson claimable = or(eq(STATUS, RequestStatus.PENDING.name()),
                and(eq(STATUS, RequestStatus.RUNNING.name()), lte(LEASE_UNTIL, Date.from(now))));
        Document d = collection.findOneAndUpdate(claimable,
                Updates.combine(Updates.set(STATUS, RequestStatus.RUNNING.name()), Updates.set(OWNER, owner),
                        Updates.set(LEASE_UNTIL, Date.from(now.plus(lease))), Updates.set("phase", "starting"),
                        Updates.inc(ATTEMPTS, 1), Updates.min("startedAt", Date.from(now))),
                new FindOneAndUpdateOptions().sort(Sorts.ascending(REQUESTED_AT, "_id"))
                        .returnDocument(ReturnDocument.AFTER));
        return Optional.ofNullable(d).map(ReconcileRequests::read);
    }

    /** @return whether the holder still held it (and so recorded the progress and renewed its lease) */
    boolean progress(ReconcileRequest held, String phase, ReconcileProgress p, Duration lease) {
        Instant now = clock.instant();
        List<Bson> set = new ArrayList<>(List.of(Updates.set("phase", phase),
                Updates.set(LEASE_UNTIL, Date.from(now.plus(lease)))));
        if (p != null) {
            set.add(Updates.set("runId", p.runId()));
            set.add(Updates.set("progress", new Document("sink", p.sink()).append("chunks", p.chunksDone())
                    .append("ids", p.idsDone()).append("total", p.estimatedTotal()).append("rate", p.idsPerSecond())
                    .append("elapsedMillis", p.elapsed().toMillis()).append("at", Date.from(now))));
        }
        return collection.updateOne(fence(held), Updates.combine(set)).getMatchedCount() == 1;
    }

    /** @return whether the holder still held it, and so recorded its end */
    boolean finish(ReconcileRequest held, RequestStatus status, String reason, ReconcileReport report) {
        List<Bson> set = new ArrayList<>(List.of(Updates.set(STATUS, status.name()),
                Updates.set("phase", status == RequestStatus.COMPLETED ? PHASE_DONE : PHASE_FAILED),
                Updates.set("endedAt", Date.from(clock.instant())), Updates.set("reason", reason)));
        if (report != null) {
            Document byClass = new Document();
            report.driftByClass().forEach((c, n) -> byClass.append(c.name(), n));
            set.add(Updates.set("runId", report.runId()));
            set.add(Updates.set("drift", report.drift()));
            set.add(Updates.set("driftByClass", byClass));
            set.add(Updates.set("repaired", report.repaired()));
            set.add(Updates.set("report", report.toJson()));
        }
        return collection.updateOne(fence(held), Updates.combine(set)).getMatchedCount() == 1;
    }

    private static Bson fence(ReconcileRequest held) {
        return and(eq("_id", new ObjectId(held.id())), eq(STATUS, RequestStatus.RUNNING.name()),
                eq(OWNER, held.owner()), eq(ATTEMPTS, held.attempts()));
    }

    private static ObjectId objectId(String id) {
        Objects.requireNonNull(id, "id");
        if (!isValidId(id)) {
            throw new IllegalArgumentException("'" + id + "' is not a reconciliation request id (24 hexadecimal digits)");
        }
        return new ObjectId(id);
    }

    static ReconcileRequest read(Document d) {
        Document p = d.get("progress", Document.class);
        ReconcileProgress progress = null;
        Instant progressAt = null;
        if (p != null) {
            progress = new ReconcileProgress(d.getString("runId"), p.getString("sink"), number(p, "chunks"),
                    number(p, "ids"), Duration.ofMillis(number(p, "elapsedMillis")),
                    p.get("rate", Number.class).doubleValue(), number(p, "total"));
            progressAt = instant(p, "at");
        }
        String report = d.getString("report");
        return new ReconcileRequest(d.getObjectId("_id").toHexString(), d.getString(TYPE),
                ReconcileMode.valueOf(d.getString("mode")), ScopeFields.read(d.get("scope", Document.class)),
                d.getString("requestedBy"), instant(d, REQUESTED_AT), RequestStatus.valueOf(d.getString(STATUS)),
                d.getString("phase"), d.getString(OWNER), instant(d, LEASE_UNTIL),
                d.get(ATTEMPTS, Number.class).intValue(), progress, progressAt, d.getString("reason"),
                report == null ? null : ReconcileReport.fromJson(report), instant(d, "startedAt"),
                instant(d, "endedAt"));
    }

    private static long number(Document d, String key) {
        Number n = d.get(key, Number.class);
        return n == null ? 0 : n.longValue();
    }

    private static Instant instant(Document d, String key) {
        Date t = d.getDate(key);
        return t == null ? null : t.toInstant();
    }

    @Override
    public String toString() {
        return "ReconcileRequests{" + collection.getNamespace() + "}";
    }

    /** Builds a {@link ReconcileRequests}. Not thread-safe. */
    public static final class Builder {
        private final MongoDatabase database;
        private String collectionName = DEFAULT_COLLECTION;
        private Clock clock = Clock.systemUTC();

        private Builder(MongoDatabase database) {
            this.database = Objects.requireNonNull(database, "database");
        }

        /**
         * @param name the requests' collection; default {@value ReconcileRequests#DEFAULT_COLLECTION}
         * @return this
         * @throws IllegalArgumentException if blank
         */
        public Builder collectionName(String name) {
            Args.notBlank(Objects.requireNonNull(name, "name"), "collection name");
            this.collectionName = name;
            return this;
        }

        /**
         * @param clock the clock of request times and leases; default {@link Clock#systemUTC()}. Every instance
         *              sharing the requests should have clocks close to each other's: a lease is a wall-clock time
         * @return this
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** @return the requests */
        public ReconcileRequests build() {
            return new ReconcileRequests(OnPrimary.of(database.getCollection(collectionName)), clock);
        }
    }
}
