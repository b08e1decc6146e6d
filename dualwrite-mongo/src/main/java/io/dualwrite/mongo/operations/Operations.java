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
package io.dualwrite.mongo.operations;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Accumulators;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Sorts;
import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.DualWriter;
import io.dualwrite.SinkOutcome;
import io.dualwrite.internal.Args;
import io.dualwrite.mongo.DualWriteFilters;
import io.dualwrite.mongo.MongoDeadLetterStore;
import io.dualwrite.mongo.MongoWriteAheadStore;
import io.dualwrite.mongo.internal.EmbeddedIntents;
import io.dualwrite.mongo.internal.Meta;
import io.dualwrite.mongo.internal.OnPrimary;
import io.dualwrite.mongo.reconcile.MongoReconcileStore;
import io.dualwrite.mongo.reconcile.ReconcileRequest;
import io.dualwrite.mongo.reconcile.ReconcileRequests;
import io.dualwrite.reconcile.ReconcileMode;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.spi.Intent;
import org.bson.BsonDocument;
import org.bson.BsonObjectId;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.ObjectId;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What an operator does to a dualwrite primary, through its MongoDB database alone: the backlog of pending deliveries
 * and the recovery leases ({@link #status}), the dead letters (list, show, {@link #replay}, {@link #discard}, each act
 * with an audit record), and reconciliation requests ({@link #requestReconciliation}) with their history. The
 * {@code dualwrite} command line and the Spring Boot Actuator endpoint are two faces of this one class.
 *
 * <p>Entity types: a collection whose documents carry dualwrite's metadata (embedded intents), or that has a
 * write-ahead intent collection next to it ({@code <collection>}{@value MongoWriteAheadStore#DEFAULT_INTENT_COLLECTION_SUFFIX}),
 * is the entity type of its own name, unless {@link Builder#entity} maps a type to it; dead letters name types too.
 *
 * <pre>{@code
 * Operations ops = Operations.builder(database).entity("product", "products").build();
 * ops.status(null).deliveries().forEach(System.out::println);
 * ops.replay(List.of(ops.deadLetter("product/p-17#search")), "alice", "index mapping fixed");
 * }</pre>
 *
 * <p>Bad input and names of things that do not exist are refused with an {@link OperationRejectedException}
 * before anything is changed. Thread-safe, except that the entity types are found once, on first use.
 */
public final class Operations {
    /** The collection of the audit records of acts on dead letters. */
    public static final String AUDIT_COLLECTION = "dualwrite_dead_letter_audit";
    /**
     * How long after a dead letter's last failure the application's removal of its intent has surely landed: a replay
     * of a younger one waits until then, since that removal would also remove the re-armed intent.
     */
    public static final Duration ACKNOWLEDGEMENT_SETTLE = Duration.ofSeconds(2);
    /** How often a replay looks whether the application dropped the dead-lettered intent, while it waits. */
    private static final Duration ACKNOWLEDGEMENT_POLL = Duration.ofMillis(50);
    /** Collections that are never entity collections: the library's own and MongoDB's. */
    private static final List<String> NOT_ENTITIES_PREFIXES = List.of("system.", "dualwrite_");
    private static final String WRITE_AHEAD_SUFFIX = MongoWriteAheadStore.DEFAULT_INTENT_COLLECTION_SUFFIX;

    private final MongoDatabase db;
    private final Map<String, String> mapped;
    private final Map<String, DualWriter<?>> writers;
    private final MongoDeadLetterStore deadLetters;
    private final MongoReconcileStore reconcileReports;
    private final ReconcileRequests reconcileRequests;
    private final Audit audit;
    private final Clock clock;
    private volatile SortedMap<String, String> types;

    private Operations(Builder b) {
        this.db = b.database;
        this.mapped = Map.copyOf(b.entities);
        this.writers = Map.copyOf(b.writers);
        this.clock = b.clock;
        // reads and changes only: the application's stores own their indexes
        this.deadLetters = MongoDeadLetterStore.builder(db).collectionName(b.deadLetterCollection).createIndexes(false)
                .build();
        this.reconcileReports = MongoReconcileStore.builder(db).createIndexes(false).build();
        this.reconcileRequests = ReconcileRequests.builder(db).clock(clock).build();
        this.audit = new Audit(OnPrimary.of(db.getCollection(AUDIT_COLLECTION)));
    }

    /**
     * @param database the primary's database
     * @return a new builder
     */
    public static Builder builder(MongoDatabase database) {
        return new Builder(database);
    }

    // ------------------------------------------------------------------------------------------------ entity types

    /** @return collection by entity type, sorted by type: those mapped, and the collections found managed */
    public SortedMap<String, String> entityTypes() {
        SortedMap<String, String> t = types;
        if (t == null) {
            t = Collections.unmodifiableSortedMap(findTypes());
            types = t;
        }
        return t;
    }

    private SortedMap<String, String> findTypes() {
        TreeMap<String, String> found = new TreeMap<>(mapped);
        List<String> names = new ArrayList<>();
        db.listCollectionNames().into(names);
        String deadLetterCollection = deadLetters.collection().getNamespace().getCollectionName();
        for (String c : names) {
            if (mapped.containsValue(c) || NOT_ENTITIES_PREFIXES.stream().anyMatch(c::startsWith)
                    || c.endsWith(WRITE_AHEAD_SUFFIX) || c.equals(deadLetterCollection)) {
                continue;
            }
            if (names.contains(c + WRITE_AHEAD_SUFFIX) || raw(c).find(Filters.exists(DualWriteFilters.FIELD))
                    .projection(Projections.include("_id")).limit(1).first() != null) {
                found.putIfAbsent(c, c);
            }
        }
        for (String t : typesOfDeadLetters()) {
            if (!found.containsKey(t) && names.contains(t)) {
                found.put(t, t);
            }
        }
        return found;
    }

    /** @return every known entity type, sorted: of collections and of dead letters */
    public List<String> knownTypes() {
        TreeMap<String, Boolean> all = new TreeMap<>();
        entityTypes().keySet().forEach(t -> all.put(t, true));
        typesOfDeadLetters().forEach(t -> all.put(t, true));
        return new ArrayList<>(all.keySet());
    }

    /**
     * @param type an entity type someone named
     * @return the type, known here
     * @throws OperationRejectedException (bad input) when it is not known
     */
    public String requireType(String type) {
        Objects.requireNonNull(type, "type");
        if (!entityTypes().containsKey(type) && !typesOfDeadLetters().contains(type)) {
            throw OperationRejectedException.badInput("unknown entity type '" + type + "' (known: "
                    + String.join(", ", knownTypes()) + "; map one with --entity TYPE=COLLECTION)");
        }
        return type;
    }

    private List<String> typesOfDeadLetters() {
        List<String> out = new ArrayList<>();
        deadLetters.collection().distinct(MongoDeadLetterStore.FIELD_TYPE, String.class).into(out);
        return out;
    }

    private MongoCollection<BsonDocument> collectionOf(String type) {
        String c = entityTypes().get(type);
        if (c == null) {
            throw OperationRejectedException.badInput("no collection is known for entity type '" + type
                    + "': give --entity " + type + "=<collection>");
        }
        return raw(c);
    }

    private MongoCollection<BsonDocument> raw(String collection) {
        return OnPrimary.of(db.getCollection(collection, BsonDocument.class));
    }

    // ------------------------------------------------------------------------------------------------------ status

    /**
     * The pending deliveries of one entity type and sink.
     *
     * @param type          the entity type
     * @param sink          the sink
     * @param intents       where the intents live: {@code embedded} (in the entities' metadata) or {@code write-ahead}
     *                      (in the intent collection); {@code -} when none is pending
     * @param pending       pending intents (one per entity and sink)
     * @param due           of those, due now
     * @param oldestDue     the earliest due time; null when none is pending
     * @param maxAttempts   the most attempts one of them has taken; 0 when none is pending
     * @param deadLetters   dead letters of the type and sink, by the error kind of their last failure
     */
    public record SinkBacklog(String type, String sink, String intents, long pending, long due, Instant oldestDue,
                              int maxAttempts, Map<String, Long> deadLetters) {
        /**
         * Copies the dead letters' counts.
         *
         * @param type the entity type
         * @param sink the sink
         * @param intents where the intents live
         * @param pending pending intents
         * @param due of those, due now
         * @param oldestDue the earliest due time; may be null
         * @param maxAttempts the most attempts
         * @param deadLetters dead letters by error kind
         */
        public SinkBacklog {
            deadLetters = Collections.unmodifiableMap(new TreeMap<>(deadLetters));
        }

        /** @return dead letters of every kind */
        public long deadLetterCount() {
            return deadLetters.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /**
     * The live recovery leases one holder has on one entity type.
     *
     * @param type     the entity type
     * @param owner    the holder (a writer's worker id and pass)
     * @param entities entities it holds
     * @param until    when the last of its leases runs out
     */
    public record LeaseHolding(String type, String owner, long entities, Instant until) {
    }

    /**
     * Where the primary stands.
     *
     * @param deliveries      pending deliveries and dead letters, by entity type and sink
     * @param leases          recovery leases held, by entity type and holder
     * @param reconciliations the latest reconciliation run of each entity type that has one
     */
    public record Status(List<SinkBacklog> deliveries, List<LeaseHolding> leases,
                         List<ReconcileReport> reconciliations) {
        /**
         * Copies the lists.
         *
         * @param deliveries pending deliveries and dead letters
         * @param leases recovery leases held
         * @param reconciliations the latest reconciliation runs
         */
        public Status {
            deliveries = List.copyOf(deliveries);
            leases = List.copyOf(leases);
            reconciliations = List.copyOf(reconciliations);
        }
    }

    /**
     * Reads the pending intents (embedded in the entities' metadata, and those of write-ahead intent collections), the
     * live recovery leases, the dead letters by error kind and the latest reconciliation runs.
     *
     * @param type only this entity type; null for every known type
     * @return where the primary stands now
     * @throws OperationRejectedException (bad input) when the type is not known
     */
    public Status status(String type) {
        Instant now = clock.instant();
        List<String> chosen = type != null ? List.of(requireType(type)) : knownTypes();
        Map<String, Map<String, Map<String, Long>>> dead = deadLetterCounts(type);
        List<SinkBacklog> deliveries = new ArrayList<>();
        List<LeaseHolding> leases = new ArrayList<>();
        List<ReconcileReport> reconciliations = new ArrayList<>();
        for (String t : chosen) {
            Backlog backlog = new Backlog(now);
            String collection = entityTypes().get(t);
            if (collection != null) {
                backlog.readEmbedded(raw(collection));
                backlog.readWriteAhead(raw(collection + WRITE_AHEAD_SUFFIX));
            }
            Map<String, Map<String, Long>> deadOfType = dead.getOrDefault(t, Map.of());
            deadOfType.keySet().forEach(s -> backlog.bySink.computeIfAbsent(s, k -> new Backlog.Figures()));
            backlog.bySink.forEach((sink, f) -> deliveries.add(new SinkBacklog(t, sink, f.where, f.pending, f.due,
                    f.oldestDue, f.maxAttempts, deadOfType.getOrDefault(sink, Map.of()))));
            backlog.byOwner.forEach((owner, l) -> leases.add(new LeaseHolding(t, owner, l.entities, l.until)));
            reconciliations.addAll(reconcileReports.reports(t, 1));
        }
        return new Status(deliveries, leases, reconciliations);
    }

    /** @return dead letters counted by type, sink and kind */
    private Map<String, Map<String, Map<String, Long>>> deadLetterCounts(String type) {
        List<Bson> pipeline = new ArrayList<>();
        if (type != null) {
            pipeline.add(Aggregates.match(Filters.eq(MongoDeadLetterStore.FIELD_TYPE, type)));
        }
        pipeline.add(Aggregates.group(new Document(MongoDeadLetterStore.FIELD_TYPE, "$" + MongoDeadLetterStore.FIELD_TYPE)
                        .append(MongoDeadLetterStore.FIELD_SINK, "$" + MongoDeadLetterStore.FIELD_SINK)
                        .append(MongoDeadLetterStore.FIELD_KIND, "$" + MongoDeadLetterStore.FIELD_KIND),
                Accumulators.sum("n", 1)));
        Map<String, Map<String, Map<String, Long>>> out = new TreeMap<>();
        for (Document d : deadLetters.collection().aggregate(pipeline)) {
            Document key = d.get("_id", Document.class);
            out.computeIfAbsent(key.getString(MongoDeadLetterStore.FIELD_TYPE), k -> new TreeMap<>())
                    .computeIfAbsent(key.getString(MongoDeadLetterStore.FIELD_SINK), k -> new TreeMap<>())
                    .put(key.getString(MongoDeadLetterStore.FIELD_KIND), d.get("n", Number.class).longValue());
        }
        return out;
    }

    /** The figures of one entity type, gathered from its documents and its intent collection. */
    private static final class Backlog {
        final Instant now;
        final Map<String, Figures> bySink = new TreeMap<>();
        final Map<String, Leases> byOwner = new TreeMap<>();

        Backlog(Instant now) {
            this.now = now;
        }

        static final class Figures {
            String where = "-";
            long pending;
            long due;
            Instant oldestDue;
            int maxAttempts;
        }

        static final class Leases {
            long entities;
            Instant until;
        }

        void intent(String sink, String where, Instant dueAt, int attempts) {
            Figures f = bySink.computeIfAbsent(sink, k -> new Figures());
            f.where = f.where.equals("-") || f.where.equals(where) ? where : "embedded, write-ahead";
            f.pending++;
            if (!dueAt.isAfter(now)) {
                f.due++;
            }
            f.oldestDue = f.oldestDue == null || dueAt.isBefore(f.oldestDue) ? dueAt : f.oldestDue;
            f.maxAttempts = Math.max(f.maxAttempts, attempts);
        }

        void lease(String owner, Instant until) {
            Leases l = byOwner.computeIfAbsent(owner, k -> new Leases());
            l.entities++;
            l.until = l.until == null || until.isAfter(l.until) ? until : l.until;
        }

        /** Reads the pending intents and live leases in the entities' own metadata. */
        void readEmbedded(MongoCollection<BsonDocument> entities) {
            Bson pendingOrLeased = Filters.or(DualWriteFilters.pending(), Filters.gt(Meta.LEASE_UNTIL_PATH, now));
            for (BsonDocument doc : entities.find(pendingOrLeased).projection(EmbeddedIntents.metadataOnly())) {
                EmbeddedIntents.deliveriesOf(doc).ifPresent(d -> {
                    for (Intent i : d.pending().values()) {
                        intent(i.sink(), "embedded", i.dueAt(), i.attempts());
                    }
                    if (d.leasedAt(now)) {
                        lease(d.leaseOwner(), d.leaseUntil());
                    }
                });
            }
        }

        /**
         * Reads a write-ahead intent collection: intent documents ({@code entityId, pending: {sink: {due, attempts}}},
         * several per entity while writes follow each other; one intent per entity and sink is counted, the earliest
         * due) and entity documents with the live leases ({@code leaseOwner, leaseUntil}).
         */
        void readWriteAhead(MongoCollection<BsonDocument> intents) {
            Map<String, Map<String, Instant>> dueBySink = new TreeMap<>();
            Map<String, Map<String, Integer>> attemptsBySink = new TreeMap<>();
            for (BsonDocument doc : intents.find(Filters.exists("pending"))
                    .projection(Projections.include("entityId", "pending"))) {
                String entity = doc.isString("entityId") ? doc.getString("entityId").getValue() : doc.get("_id").toString();
                for (Map.Entry<String, BsonValue> p : doc.getDocument("pending").entrySet()) {
                    BsonDocument intent = p.getValue().asDocument();
                    Instant due = Instant.ofEpochMilli(intent.getDateTime("due").getValue());
                    dueBySink.computeIfAbsent(p.getKey(), k -> new TreeMap<>()).merge(entity, due,
                            (a, b) -> a.isBefore(b) ? a : b);
                    int attempts = intent.isNumber("attempts") ? intent.getNumber("attempts").intValue() : 0;
                    attemptsBySink.computeIfAbsent(p.getKey(), k -> new TreeMap<>()).merge(entity, attempts, Math::max);
                }
            }
            dueBySink.forEach((sink, byEntity) -> byEntity.forEach((entity, due) ->
                    intent(sink, "write-ahead", due, attemptsBySink.get(sink).get(entity))));
            for (BsonDocument doc : intents.find(Filters.gt("leaseUntil", now))
                    .projection(Projections.include("leaseOwner", "leaseUntil"))) {
                if (doc.isString("leaseOwner")) {
                    lease(doc.getString("leaseOwner").getValue(),
                            Instant.ofEpochMilli(doc.getDateTime("leaseUntil").getValue()));
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ dead letters

    /** @return the dead-letter store of the primary */
    public MongoDeadLetterStore deadLetterStore() {
        return deadLetters;
    }

    /**
     * @param query which dead letters, not null
     * @return the dead letters it matches, oldest first
     * @throws OperationRejectedException (bad input) when the query names an unknown entity type
     */
    public List<DeadLetter> deadLetters(DeadLetterQuery query) {
        Objects.requireNonNull(query, "query");
        query.entityType().ifPresent(this::requireType);
        return deadLetters.list(query);
    }

    /**
     * @param id a dead letter's id, {@code TYPE/ENTITY-ID#SINK}
     * @return the dead letter
     * @throws OperationRejectedException bad input when the id is malformed or names an unknown type; not found when
     *                                    there is no such dead letter
     */
    public DeadLetter deadLetter(String id) {
        Objects.requireNonNull(id, "id");
        int slash = id.indexOf('/');
        int hash = id.lastIndexOf('#');
        if (slash <= 0 || hash <= slash + 1 || hash == id.length() - 1) {
            throw OperationRejectedException.badInput("'" + id + "' is not a dead letter id: TYPE/ENTITY-ID#SINK, for"
                    + " example product/p-17#search");
        }
        requireType(id.substring(0, slash));
        return deadLetters.get(id).orElseThrow(() -> OperationRejectedException.notFound("no dead letter '" + id + "'"));
    }

    /** How a replay went. Thread-safe (an enum). */
    public enum ReplayOutcome {
        /** The delivery is pending again, due now; the application's recovery delivers it. */
        ARMED("armed"),
        /** A delivery of the entity to the sink was pending already; recovery delivers it. */
        ALREADY_PENDING("already pending"),
        /** Nothing was armed: the entity left the primary, or was never written through dualwrite. */
        NOT_ARMED("not armed"),
        /** The delivery happened (followed, or delivered at once by the application's own writer). */
        DELIVERED("delivered"),
        /** The application's own writer tried at once and the sink failed transiently: the dead letter stays. */
        DEFERRED("deferred"),
        /** Followed: the delivery failed for good again, and a dead letter took the old one's place. */
        DEAD_LETTERED_AGAIN("dead-lettered again");

        private final String text;

        ReplayOutcome(String text) {
            this.text = text;
        }

        /** @return the outcome as people read it and audit records keep it */
        public String text() {
            return text;
        }
    }

    /**
     * One dead letter's replay.
     *
     * @param deadLetter the dead letter as it was replayed
     * @param auditId    its audit record
     * @param outcome    how it went
     * @param version    the version recovery delivers (0 when nothing was armed)
     * @param detail     what happened, for people
     */
    public record Replay(DeadLetter deadLetter, String auditId, ReplayOutcome outcome, long version, String detail) {
        /** @return whether its delivery is settled: delivered, dead-lettered again or never armed */
        public boolean settled() {
            return outcome != ReplayOutcome.ARMED && outcome != ReplayOutcome.ALREADY_PENDING;
        }
    }

    /**
     * Makes the delivery of each dead letter pending again in the primary, due now, and removes the dead letter; the
     * application's recovery worker then delivers the entity's current state through the sink's normal road. Inside the
     * application, where the {@linkplain Builder#writer writer} of the entity type was given, the writer replays it at
     * once instead ({@link io.dualwrite.DeadLetters#replay}), through the same road, which works for write-ahead
     * entities too (re-arming covers embedded intents only). Each act is recorded in {@value #AUDIT_COLLECTION}. Every entity is checked first: when one is not in the primary,
     * nothing is replayed. A dead letter younger than {@link #ACKNOWLEDGEMENT_SETTLE} is replayed once it is that old.
     *
     * @param chosen the dead letters, as read
     * @param by     who replays, not blank
     * @param reason why; may be null
     * @return each replay, in order
     * @throws OperationRejectedException not found when an entity is not in the primary (nothing is replayed)
     */
    public List<Replay> replay(List<DeadLetter> chosen, String by, String reason) {
        Objects.requireNonNull(chosen, "chosen");
        Args.notBlank(Objects.requireNonNull(by, "by"), "by");
        List<MongoCollection<BsonDocument>> collections = new ArrayList<>();
        List<BsonValue> ids = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (DeadLetter d : chosen) {
            MongoCollection<BsonDocument> c = collectionOf(d.entityType());
            Optional<BsonValue> docId = documentId(c, d.entityId());
            docId.ifPresentOrElse(ids::add, () -> missing.add(d.id()));
            collections.add(c);
        }
        if (!missing.isEmpty()) {
            throw OperationRejectedException.notFound("not in the primary, so there is nothing to deliver from: the"
                    + " entities of " + String.join(", ", missing) + " (discard those dead letters, or replay them"
                    + " from the application); nothing was replayed");
        }
        List<Replay> out = new ArrayList<>();
        for (int i = 0; i < chosen.size(); i++) {
            out.add(arm(chosen.get(i), collections.get(i), ids.get(i), by, reason));
        }
        return out;
    }

    private Replay arm(DeadLetter d, MongoCollection<BsonDocument> collection, BsonValue documentId, String by,
                       String reason) {
        DualWriter<?> writer = writers.get(d.entityType());
        if (writer != null) {
            return replayThrough(writer, d, by, reason);
        }
        settleAcknowledgement(d);
        ObjectId record = audit.begin("replay", d, by, reason, clock.instant());
        if (!deadLetteredIntentDropped(collection, documentId, d)) {
            return ended(record, new Replay(d, record.toHexString(), ReplayOutcome.NOT_ARMED, 0, "the application has"
                    + " not dropped the dead-lettered intent yet (its acknowledgement is on its way, or its recovery"
                    + " still holds the intent): nothing was armed and the dead letter stays; replay it again later"));
        }
        // a discard, or another replay, that came first leaves nothing to arm
        if (deadLetters.get(d.id()).isEmpty()) {
            return ended(record, new Replay(d, record.toHexString(), ReplayOutcome.NOT_ARMED, 0, "the dead letter is"
                    + " gone since it was read (discarded, or replayed already): nothing was armed"));
        }
        // the delivery is armed first and the dead letter removed second, so that a replay stopped in between (a
        // killed tool) leaves both, never neither: a dead letter that failed again since it was read (merged, so no
        // longer as seen) stays
        EmbeddedIntents.Rearm armed = EmbeddedIntents.rearm(collection, documentId, d.entityType(), d.sink(),
                d.firstError(), d.correlationId().orElse(null), clock.instant());
        Replay r;
        switch (armed.outcome()) {
            case ARMED, ALREADY_PENDING -> {
                String left = deadLetters.removeIfUnchanged(d) ? ""
                        : deadLetters.get(d.id()).isPresent() ? "; the dead letter stays: it failed again since it was read"
                        : "; the dead letter was discarded (or replayed) while this replay armed the delivery, which"
                        + " sends the sink the primary's current state";
                r = new Replay(d, record.toHexString(), armed.outcome() == EmbeddedIntents.Outcome.ARMED
                        ? ReplayOutcome.ARMED : ReplayOutcome.ALREADY_PENDING, armed.version(), "recovery delivers"
                        + " version " + armed.version() + left);
            }
            case NO_DOCUMENT, NOT_MANAGED -> r = new Replay(d, record.toHexString(), ReplayOutcome.NOT_ARMED, 0,
                    armed.outcome() == EmbeddedIntents.Outcome.NO_DOCUMENT ? "the entity left the primary"
                            : "the entity was never written through dualwrite");
            default -> throw new IllegalStateException("unknown outcome " + armed.outcome());
        }
        return ended(record, r);
    }

    private Replay replayThrough(DualWriter<?> writer, DeadLetter d, String by, String reason) {
        ObjectId record = audit.begin("replay", d, by, reason, clock.instant());
        SinkOutcome outcome = writer.deadLetters().replay(d.id());
        Replay r = switch (outcome) {
            case APPLIED -> new Replay(d, record.toHexString(), ReplayOutcome.DELIVERED, d.version(),
                    "delivered by the application's writer");
            case DEFERRED -> new Replay(d, record.toHexString(), ReplayOutcome.DEFERRED, d.version(),
                    "the sink failed transiently; the dead letter stays");
            default -> new Replay(d, record.toHexString(), ReplayOutcome.DEAD_LETTERED_AGAIN, d.version(),
                    deadLetters.get(d.id()).map(x -> x.kind() + ": " + x.lastError()).orElse(outcome.name()));
        };
        return ended(record, r);
    }

    /** Ends a replay's audit record with its outcome. */
    private Replay ended(ObjectId record, Replay r) {
        audit.end(record, r.outcome().text() + ": " + r.detail(), clock.instant());
        return r;
    }

    /** Sleeps before a replay; an interrupt ends the replay (the thread keeps its interrupt flag). */
    private static void pauseBeforeReplaying(Duration pause, DeadLetter d) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted before replaying " + d.id(), e);
        }
    }

    /**
     * Waits up to {@link #ACKNOWLEDGEMENT_SETTLE}, by this process's own elapsed time (whatever the clocks of the
     * application and of this host say), while the document still holds the intent the dead letter came from (its
     * version or an older one): the application's acknowledgement of the dead letter removes it, and would remove an
     * intent re-armed before it landed just the same.
     *
     * @return true when the document holds no such intent (the application dropped it, or the document is gone)
     */
    private boolean deadLetteredIntentDropped(MongoCollection<BsonDocument> collection, BsonValue documentId,
                                              DeadLetter d) {
        long deadline = System.nanoTime() + ACKNOWLEDGEMENT_SETTLE.toNanos();
        while (true) {
            java.util.OptionalLong pending = EmbeddedIntents.pendingVersion(collection, documentId, d.sink());
            if (pending.isEmpty() || pending.getAsLong() > d.version()) {
                return true;
            }
            if (System.nanoTime() >= deadline) {
                return false;
            }
            pauseBeforeReplaying(ACKNOWLEDGEMENT_POLL, d);
        }
    }

    /**
     * Waits, if needed, until the application has surely dropped the intent it dead-lettered: it stores the dead
     * letter first and removes the intent with its next batch of acknowledgements, and that removal would also remove
     * an intent re-armed before it landed.
     */
    private void settleAcknowledgement(DeadLetter d) {
        Duration left = Duration.between(clock.instant(), d.lastFailedAt().plus(ACKNOWLEDGEMENT_SETTLE));
        if (!left.isNegative() && !left.isZero()) {
            pauseBeforeReplaying(left.plusMillis(1), d);
        }
    }

    /**
     * Looks once at where an armed replay's delivery stands; call it again until it is settled.
     *
     * @param r a replay {@link #replay} returned
     * @return the replay, settled (delivered or dead-lettered again, and its audit record says so) when its intent is
     *         gone; as it was otherwise
     */
    public Replay follow(Replay r) {
        Objects.requireNonNull(r, "r");
        if (r.settled()) {
            return r;
        }
        DeadLetter d = r.deadLetter();
        Intent pending = metadataOf(d).flatMap(EmbeddedIntents::deliveriesOf).map(x -> x.pending().get(d.sink()))
                .orElse(null);
        if (pending != null) {
            return r;
        }
        // recovery stores the dead letter before it removes the intent, so a failure is visible by now
        Optional<DeadLetter> again = deadLetters.get(d.id()).filter(x -> x.version() >= r.version());
        Replay settled = again.map(x -> new Replay(d, r.auditId(), ReplayOutcome.DEAD_LETTERED_AGAIN, r.version(),
                        x.kind() + ": " + x.lastError()))
                .orElseGet(() -> new Replay(d, r.auditId(), ReplayOutcome.DELIVERED, r.version(),
                        "version " + r.version() + " or newer"));
        audit.end(new ObjectId(r.auditId()), settled.outcome().text() + ": " + settled.detail(), clock.instant());
        return settled;
    }

    /** @return the dualwrite metadata of the dead letter's entity, empty when its document is not in the primary */
    private Optional<BsonDocument> metadataOf(DeadLetter d) {
        MongoCollection<BsonDocument> c = collectionOf(d.entityType());
        return documentId(c, d.entityId())
                .map(v -> c.find(Filters.eq("_id", v)).projection(EmbeddedIntents.metadataOnly()).first());
    }

    /**
     * Where a dead letter's entity stands now in the primary.
     *
     * @param state         {@code present}, {@code deleted (tombstone)}, {@code not in the primary}, {@code present,
     *                      written ahead (…)} (a write-ahead entity: the other fields are null), {@code present, not
     *                      written through dualwrite yet}, or why it cannot be told
     * @param version       its version; null when unknown
     * @param pendingToSink the delivery to the dead letter's sink pending again; null when none
     * @param leaseOwner    who holds its recovery lease; null when nobody
     * @param leaseUntil    until when; null when nobody
     */
    public record EntityState(String state, Long version, Intent pendingToSink, String leaseOwner, Instant leaseUntil) {
    }

    /**
     * @param d a dead letter
     * @return where its entity stands now: its version, whether it is deleted, the sink's pending intent and its lease
     */
    public EntityState entityOf(DeadLetter d) {
        Objects.requireNonNull(d, "d");
        if (!entityTypes().containsKey(d.entityType())) {
            return new EntityState("no collection known for the type (--entity " + d.entityType() + "=<collection>)",
                    null, null, null, null);
        }
        Optional<BsonDocument> doc = metadataOf(d);
        if (doc.isEmpty()) {
            return new EntityState("not in the primary", null, null, null, null);
        }
        return EmbeddedIntents.deliveriesOf(doc.get()).map(del -> new EntityState(del.deleted() ? "deleted (tombstone)"
                        : "present", del.version(), del.pending().get(d.sink()), del.leaseOwner(), del.leaseUntil()))
                .orElseGet(() -> new EntityState(raw(entityTypes().get(d.entityType()) + WRITE_AHEAD_SUFFIX)
                        .find(Filters.eq("_id", new BsonString(d.entityId()))).first() != null
                        ? "present, written ahead (its version and intents are in the write-ahead intent collection)"
                        : "present, not written through dualwrite yet", null, null, null, null));
    }

    /**
     * @param collection an entity collection
     * @param id         an entity id as dualwrite names it
     * @return the {@code _id} of its document (an ObjectId when it is stored as one), if the document exists
     */
    private static Optional<BsonValue> documentId(MongoCollection<BsonDocument> collection, String id) {
        List<BsonValue> candidates = new ArrayList<>(2);
        candidates.add(new BsonString(id));
        if (ObjectId.isValid(id)) {
            candidates.add(new BsonObjectId(new ObjectId(id)));
        }
        for (BsonValue v : candidates) {
            if (collection.find(Filters.eq("_id", v)).projection(Projections.include("_id")).first() != null) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    /** How a discard went. Thread-safe (an enum). */
    public enum DiscardOutcome {
        /** Removed for good. */
        DISCARDED("discarded"),
        /** Kept: it failed again (a newer failure merged into it) since it was read, so it is not what was seen. */
        KEPT_FAILED_AGAIN("kept: failed again since"),
        /** Someone removed it meanwhile. */
        ALREADY_GONE("already gone");

        private final String text;

        DiscardOutcome(String text) {
            this.text = text;
        }

        /** @return the outcome as people read it and audit records keep it */
        public String text() {
            return text;
        }
    }

    /**
     * One dead letter's discard.
     *
     * @param deadLetter the dead letter as it was read
     * @param auditId    its audit record
     * @param outcome    how it went
     */
    public record Discard(DeadLetter deadLetter, String auditId, DiscardOutcome outcome) {
    }

    /**
     * Removes dead letters for good, each only if it is still as it was read, recording each act in
     * {@value #AUDIT_COLLECTION} with who, why, what and when.
     *
     * @param chosen the dead letters, as read
     * @param by     who discards, not blank
     * @param reason why, not blank: it is kept in the audit record
     * @return each discard, in order
     * @throws OperationRejectedException (bad input) when the reason is missing
     */
    public List<Discard> discard(List<DeadLetter> chosen, String by, String reason) {
        Objects.requireNonNull(chosen, "chosen");
        Args.notBlank(Objects.requireNonNull(by, "by"), "by");
        if (reason == null || reason.isBlank()) {
            throw OperationRejectedException.badInput("say why with --reason: it is kept in the audit record");
        }
        List<Discard> out = new ArrayList<>();
        for (DeadLetter d : chosen) {
            ObjectId record = audit.begin("discard", d, by, reason, clock.instant());
            DiscardOutcome outcome = deadLetters.removeIfUnchanged(d) ? DiscardOutcome.DISCARDED
                    : deadLetters.get(d.id()).isPresent() ? DiscardOutcome.KEPT_FAILED_AGAIN : DiscardOutcome.ALREADY_GONE;
            audit.end(record, outcome.text(), clock.instant());
            out.add(new Discard(d, record.toHexString(), outcome));
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------- reconciliation

    /** @return the reconciliation requests, which the application's request worker runs */
    public ReconcileRequests reconcileRequests() {
        return reconcileRequests;
    }

    /** @return the stored reports of reconciliation runs, in the library's default collections */
    public MongoReconcileStore reconcileReports() {
        return reconcileReports;
    }

    /**
     * Records a reconciliation request, which one instance of the application runs.
     *
     * @param type  the entity type, known here
     * @param scope the ids and sinks, not null
     * @param mode  dry run or apply, not null
     * @param by    who asks, not blank
     * @return the request as recorded
     * @throws OperationRejectedException (bad input) when the type is not known, or the scope names a sink that the
     *                                    type's writer, when one is registered, does not have
     */
    public ReconcileRequest requestReconciliation(String type, ReconcileScope scope, ReconcileMode mode, String by) {
        Objects.requireNonNull(scope, "scope");
        String entityType = requireType(type);
        DualWriter<?> writer = writers.get(entityType);
        if (writer != null) {
            // where the type's writer is known (inside the application), a sink it does not have is refused now
            // rather than failing later in whichever instance runs the request
            List<String> unknown = scope.sinks().stream().filter(s -> !writer.sinkNames().contains(s)).toList();
            if (!unknown.isEmpty()) {
                throw OperationRejectedException.badInput("the " + entityType + " writer has no sink " + unknown
                        + "; its sinks: " + writer.sinkNames());
            }
        }
        return reconcileRequests.submit(entityType, scope, mode, by);
    }

    /**
     * @param id a request's id
     * @return the request
     * @throws OperationRejectedException bad input when the id is malformed; not found when there is no such request
     */
    public ReconcileRequest reconciliation(String id) {
        Objects.requireNonNull(id, "id");
        if (!ReconcileRequests.isValidId(id)) {
            throw OperationRejectedException.badInput("'" + id + "' is not a reconciliation request id (24 hexadecimal"
                    + " digits, as 'reconcile request' prints it)");
        }
        return reconcileRequests.get(id).orElseThrow(() -> OperationRejectedException.notFound(
                "no reconciliation request '" + id + "'"));
    }

    /**
     * A past run, with the request it served.
     *
     * @param report    the run's report
     * @param requestId the request it served; null for a run the application started on its own
     */
    public record PastRun(ReconcileReport report, String requestId) {
    }

    /**
     * @param type  only this entity type's runs; null for every type
     * @param limit the most runs, at least 1
     * @return the stored runs, the latest started first
     * @throws OperationRejectedException (bad input) when the type is not known or the limit is below 1
     */
    public List<PastRun> reconciliationHistory(String type, int limit) {
        if (limit < 1) {
            throw OperationRejectedException.badInput("--limit must be at least 1, was " + limit);
        }
        List<ReconcileReport> reports = type == null ? reconcileReports.latestReports(limit)
                : reconcileReports.reports(requireType(type), limit);
        List<PastRun> out = new ArrayList<>();
        for (ReconcileReport r : reports) {
            out.add(new PastRun(r, reconcileRequests.ofRun(r.runId()).map(ReconcileRequest::id).orElse(null)));
        }
        return out;
    }

    /** Builds {@link Operations}. Not thread-safe. */
    public static final class Builder {
        private final MongoDatabase database;
        private final Map<String, String> entities = new LinkedHashMap<>();
        private final Map<String, DualWriter<?>> writers = new LinkedHashMap<>();
        private String deadLetterCollection = MongoDeadLetterStore.DEFAULT_COLLECTION;
        private Clock clock = Clock.systemUTC();

        private Builder(MongoDatabase database) {
            this.database = Objects.requireNonNull(database, "database");
        }

        /**
         * @param type       an entity type whose collection has another name
         * @param collection its collection
         * @return this
         * @throws IllegalArgumentException if either is blank
         */
        public Builder entity(String type, String collection) {
            Args.notBlank(Objects.requireNonNull(type, "type"), "type");
            Args.notBlank(Objects.requireNonNull(collection, "collection"), "collection");
            entities.put(type, collection);
            return this;
        }

        /**
         * Gives the application's writer of an entity type, for operations that run inside the application (an
         * Actuator endpoint): a replay of that type's dead letters then delivers at once through it.
         *
         * @param writer a writer of the application
         * @return this
         * @throws IllegalArgumentException if a writer of the same entity type was given
         */
        public Builder writer(DualWriter<?> writer) {
            Objects.requireNonNull(writer, "writer");
            if (writers.putIfAbsent(writer.entityType(), writer) != null) {
                throw new IllegalArgumentException("a writer of entity type '" + writer.entityType()
                        + "' was already given");
            }
            return this;
        }

        /**
         * @param name the dead letters' collection; default {@value MongoDeadLetterStore#DEFAULT_COLLECTION}
         * @return this
         */
        public Builder deadLetterCollection(String name) {
            this.deadLetterCollection = Args.notBlank(Objects.requireNonNull(name, "name"), "name");
            return this;
        }

        /**
         * @param clock the clock of ages, due times and audit records; default {@link Clock#systemUTC()}
         * @return this
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** @return the operations */
        public Operations build() {
            return new Operations(this);
        }
    }
}
