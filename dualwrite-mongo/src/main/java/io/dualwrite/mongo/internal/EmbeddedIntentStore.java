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
package io.dualwrite.mongo.internal;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateManyModel;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.WriteModel;
import io.dualwrite.ErrorKind;
import io.dualwrite.Operation;
import io.dualwrite.VersionConflictException;
import io.dualwrite.Versions;
import io.dualwrite.mongo.DualWriteFilters;
import io.dualwrite.mongo.MongoEntityTooLargeException;
import io.dualwrite.mongo.MongoNotWrittenException;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.mongo.MongoWriteUnconfirmedException;
import io.dualwrite.mongo.events.EventRecorder;
import io.dualwrite.spi.Ack;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.Intent;
import io.dualwrite.spi.IntentSpec;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.RequestKey;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.UnreadableEntityException;
import org.bson.BsonDocument;
import org.bson.BsonInt64;
import org.bson.BsonValue;
import org.bson.conversions.Bson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The embedded-intent {@link MongoPrimaryStore}: each entity's document carries its own
 * metadata ({@link Meta}), and every change of a document is one conditional single-document
 * write on its revision, so no transaction is needed. Thread-safe; safe to share between
 * processes.
 *
 * @param <T> the entity type
 */
public final class EmbeddedIntentStore<T> extends MongoStoreBase<T> implements MongoPrimaryStore<T> {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedIntentStore.class);
    /** Reads made to learn whether a write whose reply was lost took effect. */
    static final int RESOLVE_READS = 3;

    private final MongoCollection<BsonDocument> raw;
    private final int maxRequestKeys;
    private final EventRecorder events;
    private final RevisionCache revisions;

    /**
     * @param settings what the store's builder collected and checked
     */
    public EmbeddedIntentStore(EmbeddedStoreSettings<T> settings) {
        super(settings.collection(), new Ids(settings.idType()));
        this.raw = entities;
        this.maxRequestKeys = settings.maxRequestKeys();
        this.events = settings.eventRecorder();
        this.revisions = new RevisionCache(settings.revisionCacheBytes(), settings.revisionCacheExpiry());
        if (settings.createIndexes()) {
            ensureIndexes();
        }
    }

    @Override
    public List<String> ensureIndexes() {
        return Indexes.ensureEntityIndexes(raw);
    }

    // ------------------------------------------------------------------ commit

    @Override
    public Committed<T> commit(PrimaryWrite<T> write) {
        Objects.requireNonNull(write, "write");
        if (write.callerWrite().isPresent()) {
            throw new UnsupportedOperationException("the embedded-intent store commits the state itself; use"
                    + " MongoWriteAheadStore for saveWith/deleteWith");
        }
        for (IntentSpec spec : write.intents()) {
            Indexes.checkSinkName(spec.sink());
        }
        BsonValue id = ids.toBsonForWrite(write.id());
        BsonDocument state = null;
        if (write.operation() == Operation.UPSERT) {
            state = codec.encode(write.state().orElseThrow());
            BsonValue own = state.get("_id");
            if (own != null && !own.equals(id)) {
                throw new IllegalArgumentException("the entity's _id " + own + " differs from its id '" + write.id() + "'");
            }
            if (state.containsKey(DualWriteFilters.FIELD)) {
                throw new IllegalArgumentException("the entity must not have a field named " + DualWriteFilters.FIELD);
            }
        }
        String token = Meta.newToken();
        // an attempt whose reply was lost is resolved by its own token, read back from the document: every
        // attempt carries the same token, and once one reply was lost every later read looks for it, because
        // that attempt may still land late (after a read that did not find it), and then only it counts
        RuntimeException unknown = null;
        RuntimeException lost = null;
        Attempt attempt = null;
        // a duplicate key on an insert is another writer taking the id first, unless no document holds the id when
        // the store looks: then another unique index of the collection refused the state, as it will every time
        MongoWriteException duplicate = null;
        int duplicatesWithNoDocument = 0;
        for (int race = 0; race < MAX_RACES; race++) {
            // the first attempt writes on what this instance knows (the document as it last wrote or read it), or
            // inserts at once where ids it does not know have lately been new: both writes are conditional (on the
            // revision, on the id being free), so knowledge that turned out stale only costs the read it saved
            BsonDocument current = lost != null || race > 0 ? null : revisions.known(id);
            Guess guess = Guess.NONE;
            if (lost != null) {
                current = readBack(write.id(), id, lost);
            } else if (current != null) {
                guess = Guess.KNOWN;
            } else if (race == 0 && mayInsertAtOnce(write)) {
                guess = Guess.NEW;
            } else {
                current = readBeforeWriting(write.id(), id);
                if (race == 0) {
                    revisions.learnNew(current == null);
                }
            }
            // twice, so that a document removed in between (a purge) is not taken for it
            if (current == null && duplicate != null && ++duplicatesWithNoDocument >= 2) {
                if (lost != null) {
                    // another index refuses every insert, but an earlier one whose reply was lost may still land
                    lost.addSuppressed(duplicate);
                    throw lost;
                }
                throw duplicate;
            }
            Meta before = current == null ? null : Meta.of(current);
            if (lost != null) {
                long landed = before == null ? -1 : before.versionOfWrite(token);
                if (landed >= 0) {
                    LOG.info("the write of {}/{} whose reply was lost had landed as version {}", entityName,
                            write.id(), landed);
                    return committedAfterWrite(attempt, write, landed);
                }
                if (unknown != null) {
                    // an insert lands only as the first commit of a document: one created by another insert shows
                    // that ours did not land, however many writes it remembers
                    boolean insertRefused = attempt.previous == null && before != null
                            && before.createdByAnotherInsertThan(token);
                    if (before != null && !insertRefused && !before.remembersWritesFrom(attempt.next.version)) {
                        // more writes came on top than the document remembers: whether ours is among them is unknown
                        throw unknown;
                    }
                    LOG.info("the write of {}/{} whose reply was lost has not landed; writing it again", entityName,
                            write.id());
                    unknown = null;
                }
            }
            Committed<T> early = null;
            int bytes = 0;
            try {
                early = beforeWriting(write, current, before);
                if (early == null) {
                    attempt = prepare(write, id, state, current, before, token);
                    bytes = checkSize(write.id(), attempt.doc, attempt.next);
                }
            } catch (RuntimeException e) {
                if (guess != Guess.KNOWN) {
                    throw e;
                }
                // a refusal (a version conflict, a full event backlog, a size) is decided on the document as it is,
                // never on what this instance knew of it
                revisions.forget(id);
                continue;
            }
            if (early != null && guess == Guess.KNOWN) {
                // the same for an answer given without writing (a repeated request key, nothing to delete): another
                // instance may have forgotten the key (a compensation, newer keys) or re-created the entity
                revisions.forget(id);
                continue;
            }
            if (early != null) {
                return early;
            }
            Meta next = attempt.next;
            BsonDocument doc = attempt.doc;
            boolean written = false;
            try {
                written = write(id, current, before, doc, write);
            } catch (IdTaken e) {
                duplicate = e.duplicate;
            } catch (RuntimeException e) {
                revisions.forget(id);
                if (classifier().classify(e) != ErrorKind.UNKNOWN_OUTCOME) {
                    if (lost != null) {
                        // this attempt wrote nothing, but an earlier one whose reply was lost may still land
                        lost.addSuppressed(e);
                        throw lost;
                    }
                    throw e;
                }
                LOG.warn("outcome of the write of {}/{} unknown ({}); reading it back", entityName, write.id(),
                        e.toString());
                unknown = e;
                lost = e;
                continue;
            }
            if (written) {
                if (guess == Guess.NEW) {
                    revisions.learnNew(true);
                }
                revisions.remember(id, doc, bytes);
                return committedAfterWrite(attempt, write, next.version);
            }
            revisions.forget(id);
            if (guess == Guess.NEW) {
                revisions.learnNew(false);
            }
            LOG.debug("commit of {}/{} {}, reading again", entityName, write.id(), guess == Guess.NONE
                    ? "lost a race" : guess == Guess.KNOWN ? "found the document changed since this instance knew it"
                    : "found the id taken");
        }
        throw new IllegalStateException("commit of " + entityName + "/" + write.id() + " lost " + MAX_RACES
                + " races in a row");
    }

    /**
     * Refuses a document that the store's own later updates (a lease, the errors of failed deliveries)
     * could push past MongoDB's limit, which a real server enforces on updates too.
     */
    private int checkSize(String entityId, BsonDocument doc, Meta next) {
        int growth = Meta.growthBound(next.pending.size());
        int bytes = bsonSize(doc);
        if (bytes + growth > Meta.MAX_DOCUMENT_BYTES) {
            throw new MongoEntityTooLargeException(entityName, entityId, bytes, growth, Meta.MAX_DOCUMENT_BYTES);
        }
        return bytes;
    }

    /** @return the document's size in BSON bytes */
    private static int bsonSize(BsonDocument doc) {
        org.bson.io.BasicOutputBuffer out = new org.bson.io.BasicOutputBuffer();
        new org.bson.codecs.BsonDocumentCodec().encode(new org.bson.BsonBinaryWriter(out), doc,
                org.bson.codecs.EncoderContext.builder().build());
        return out.getPosition();
    }

    /** @return the attempt that writes {@code write} over {@code current}: the new document and the before-image */
    private Attempt prepare(PrimaryWrite<T> write, BsonValue id, BsonDocument state, BsonDocument current, Meta before,
                            String token) {
        Meta next = nextMeta(write, before, token);
        if (current == null) {
            next.createdBy = token; // this attempt is an insert: the document, if it lands, is created by it
        }
        BsonDocument doc = new BsonDocument("_id", id);
        if (state != null) {
            for (Map.Entry<String, BsonValue> e : state.entrySet()) {
                if (!"_id".equals(e.getKey())) {
                    doc.append(e.getKey(), e.getValue());
                }
            }
        }
        doc.append(DualWriteFilters.FIELD, next.toBson());
        if (events != null) {
            BsonDocument ev = events.afterCommit(entityName, current == null ? null : metaOf(current), write,
                    next.version, state);
            if (ev != null) {
                doc.getDocument(DualWriteFilters.FIELD).append(EventRecorder.FIELD, ev);
            }
        }
        // the before-image: what the document held, also when it was not managed yet (an adopted document)
        return new Attempt(next, doc, current == null ? null : snapshot(current, before));
    }

    /** How the first attempt of a commit came by the document it writes on. */
    private enum Guess {
        /** It read the document. */
        NONE,
        /** It took the document as this instance knew it. */
        KNOWN,
        /** It took the id to be new. */
        NEW
    }

    /**
     * A save may insert at once, without reading first, when it expects nothing of an existing entity (no expected
     * version, or the expectation that there is none) and ids this instance did not know have lately been new.
     */
    private boolean mayInsertAtOnce(PrimaryWrite<T> write) {
        return write.operation() == Operation.UPSERT && revisions.guessNew()
                && (write.expectedVersion().isEmpty() || write.expectedVersion().getAsLong() == 0);
    }

    /** One attempt of a commit: what it writes and what it replaces. */
    private final class Attempt {
        final Meta next;
        final BsonDocument doc;
        final Snapshot<T> previous;

        Attempt(Meta next, BsonDocument doc, Snapshot<T> previous) {
            this.next = next;
            this.doc = doc;
            this.previous = previous;
        }

        /** @return the commit's result: the state as stored (decoded from the document written), never the caller's object */
        Committed<T> committed(PrimaryWrite<T> write, long version) {
            T stored = write.operation() == Operation.UPSERT ? decode(doc) : null;
            return new Committed<>(Committed.Status.WRITTEN, write.id(), version, write.operation(), stored, previous,
                    write.time(), null);
        }
    }

    /**
     * @return what a write that landed committed
     * @throws MongoWriteUnconfirmedException when the state it stored cannot be decoded: it is written, with its
     *                                        intents, so this is no "could not commit" (recovery dead-letters the
     *                                        entity with the codec's error, or delivers it once the codec is fixed)
     */
    private Committed<T> committedAfterWrite(Attempt attempt, PrimaryWrite<T> write, long version) {
        try {
            return attempt.committed(write, version);
        } catch (RuntimeException undecodable) {
            throw new MongoWriteUnconfirmedException(entityName, write.id(), "the write of " + entityName + "/"
                    + write.id() + " landed as version " + version + ", but the state it stored cannot be decoded: "
                    + undecodable + "; its intents are recorded and recovery delivers it or dead-letters it",
                    undecodable);
        }
    }

    private static BsonDocument metaOf(BsonDocument doc) {
        BsonValue m = doc.get(DualWriteFilters.FIELD);
        return m != null && m.isDocument() ? m.asDocument() : null;
    }

    private BsonDocument readBeforeWriting(String entityId, BsonValue id) {
        try {
            return raw.find(Filters.eq("_id", id)).first();
        } catch (RuntimeException e) {
            throw new MongoNotWrittenException(entityName, entityId, e);
        }
    }

    /**
     * Reads the document after an attempt whose reply was lost.
     *
     * @throws RuntimeException that attempt's failure (an unknown outcome) when the document cannot be read
     */
    private BsonDocument readBack(String entityId, BsonValue id, RuntimeException unknown) {
        for (int i = 0; i < RESOLVE_READS; i++) {
            try {
                return raw.find(Filters.eq("_id", id)).first();
            } catch (RuntimeException e) {
                LOG.debug("read-back of {}/{} failed: {}", entityName, entityId, e.toString());
            }
        }
        throw unknown;
    }

    /** @return the result when nothing is to be written (duplicate request, nothing to delete), else null */
    private Committed<T> beforeWriting(PrimaryWrite<T> write, BsonDocument current, Meta before) {
        Optional<RequestKey> repeated = before == null ? Optional.empty() : RequestKey.repeatedBy(before.keys, write);
        if (repeated.isPresent()) {
            RequestKey rk = repeated.get();
            return new Committed<>(Committed.Status.DUPLICATE_REQUEST, write.id(), rk.version(), rk.operation(),
                    null, null, rk.at(), null);
        }
        long actual = before == null ? 0 : before.version;
        if (!write.expects(actual, before != null && before.deleted)) {
            throw new VersionConflictException(entityName, write.id(), write.expectedVersion().getAsLong(), actual);
        }
        if (write.operation() == Operation.DELETE && (current == null || (before != null && before.deleted))) {
            return new Committed<>(Committed.Status.NOTHING_TO_DELETE, write.id(), actual, Operation.DELETE, null, null,
                    write.time(), null);
        }
        return null;
    }

    /** @return the intents of {@code before} that a commit of {@code write} carries over (of sinks it does not write to) */
    private static List<Intent> carried(Meta before, PrimaryWrite<?> write) {
        List<Intent> out = new ArrayList<>(before.pending.values());
        for (IntentSpec spec : write.intents()) {
            out.removeIf(i -> i.sink().equals(spec.sink()));
        }
        return out;
    }

    private Meta nextMeta(PrimaryWrite<T> write, Meta before, String token) {
        Meta next = new Meta();
        next.version = before == null || before.version == 0 ? Versions.firstVersion(write.time()) : before.version + 1;
        next.rev = before == null ? 1 : before.rev + 1;
        next.deleted = write.operation() == Operation.DELETE;
        next.at = write.time();
        if (before != null) {
            next.writes.addAll(before.writes);
            next.writesCut = before.writesCut;
            next.createdBy = before.createdBy;
            next.pending.putAll(before.pending);
            next.leaseOwner = before.leaseOwner;
            next.leaseUntil = before.leaseUntil;
            next.claim = before.claim;
        }
        for (IntentSpec spec : write.intents()) {
            next.pending.put(spec.sink(), new Intent(spec.sink(), next.version, spec.dueAt(), 0, null, null,
                    write.correlationId(), write.idempotencyKey().orElse(null), null));
        }
        next.keys.addAll(RequestKey.afterCommit(before == null ? List.of() : before.keys, write, next.version,
                maxRequestKeys));
        next.addWrite(token);
        return next;
    }

    /**
     * One conditional write: an insert for a new id, else a replace conditional on the revision read.
     * A delete replaces the document with its tombstone, which stays: it keeps the entity's last
     * version, so a re-created id continues above it whatever the clocks say, and its request keys.
     *
     * @return true if it took effect, false if another writer came first
     */
    private boolean write(BsonValue id, BsonDocument current, Meta before, BsonDocument doc, PrimaryWrite<T> write) {
        try {
            if (current == null) {
                raw.insertOne(doc);
                return true;
            }
            Bson cond = before == null ? Filters.and(Filters.eq("_id", id), Filters.exists(Meta.REV_PATH, false))
                    : unchangedSince(id, before, carried(before, write));
            return raw.replaceOne(cond, doc).getMatchedCount() == 1;
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY && current == null) {
                throw new IdTaken(e); // another writer inserted the same id first, or another unique index refused it
            }
            throw e;
        }
    }

    /** An insert refused with a duplicate key: the commit reads again and tells a lost race from another index. */
    private static final class IdTaken extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient MongoWriteException duplicate;

        IdTaken(MongoWriteException duplicate) {
            super(null, null, false, false);
            this.duplicate = duplicate;
        }
    }

    // ------------------------------------------------------------------ reads

    @Override
    public Optional<Snapshot<T>> read(String id) {
        BsonValue key = ids.toBson(id);
        BsonDocument doc = raw.find(Filters.eq("_id", key)).first();
        if (doc == null) {
            return Optional.empty();
        }
        Snapshot<T> s = snapshotOrUnreadable(doc);
        if (s.readFailure().isPresent()) {
            throw new UnreadableEntityException(entityName, s);
        }
        // a read-modify-write then writes on what it read, without reading it again
        if (revisions.enabled()) {
            revisions.remember(key, doc, bsonSize(doc)); // the size is encoded only when it is kept
        }
        return Optional.of(s);
    }

    private Snapshot<T> snapshot(BsonDocument doc, Meta meta) {
        String id = ids.fromBson(doc.get("_id"));
        if (meta == null) {
            return new Snapshot<>(id, 0, decode(doc), Instant.EPOCH, Map.of());
        }
        return new Snapshot<>(id, meta.version, meta.deleted ? null : decode(doc), meta.at, meta.pending);
    }

    private T decode(BsonDocument doc) {
        BsonDocument copy = doc.clone();
        copy.remove(DualWriteFilters.FIELD);
        return codec.decode(copy);
    }

    @Override
    public List<Snapshot<T>> scan(String afterExclusive, int limit) {
        checkLimit(limit);
        Bson filter = afterExclusive == null ? new BsonDocument() : Filters.gt("_id", ids.toBson(afterExclusive));
        List<Snapshot<T>> out = new ArrayList<>();
        for (BsonDocument d : raw.find(filter).sort(Sorts.ascending("_id")).limit(limit)) {
            out.add(snapshotOrUnreadable(d));
        }
        return out;
    }

    @Override
    public long pendingCount() {
        return raw.countDocuments(DualWriteFilters.pending());
    }

    @Override
    public Optional<Instant> oldestDue() {
        BsonDocument d = raw.find(DualWriteFilters.pending()).sort(Sorts.ascending(DualWriteFilters.DUE))
                .projection(new BsonDocument(DualWriteFilters.DUE, new BsonInt64(1))).limit(1).first();
        return Optional.ofNullable(d).map(x -> Meta.instant(x.getDocument(DualWriteFilters.FIELD).get(Meta.DUE)));
    }

    // ------------------------------------------------------------------ acknowledgements

    /**
     * One command for the whole batch, with no read before it: per entity and sink, an update that removes the
     * sink's intent only while it asks for the acknowledged version or an older one (never a newer write's), then
     * one update that removes the due time of those entities left with nothing pending, so that recovery's due
     * query and {@link #pendingCount()} stay exact. The batch is ordered so that this last update runs after the
     * removals (no match is not an error: an ordered batch stops only at a failing write). A due time left on an
     * entity that still has other intents may be earlier than theirs: never later, so nothing due is missed, and
     * {@link #claimDue} sets it right when it claims the entity.
     */
    @Override
    public void acknowledge(Collection<Ack> acks) {
        Map<String, List<Ack>> byId = byEntity(acks);
        List<WriteModel<BsonDocument>> models = new ArrayList<>();
        List<BsonValue> keys = new ArrayList<>();
        for (Map.Entry<String, List<Ack>> e : byId.entrySet()) {
            BsonValue key = ids.toBson(e.getKey());
            keys.add(key);
            for (Ack a : e.getValue()) {
                String intent = Meta.PENDING_PATH + "." + a.sink();
                models.add(new UpdateOneModel<>(Filters.and(Filters.eq("_id", key),
                        Filters.lte(intent + "." + Meta.V, a.version())), Updates.unset(intent)));
            }
        }
        if (models.isEmpty()) {
            return;
        }
        models.add(new UpdateManyModel<>(Filters.and(Filters.in("_id", keys),
                Filters.eq(Meta.PENDING_PATH, new BsonDocument()), Filters.exists(DualWriteFilters.DUE)),
                Updates.unset(DualWriteFilters.DUE)));
        try {
            raw.bulkWrite(models, new BulkWriteOptions().ordered(true));
        } catch (RuntimeException e) {
            revisions.forgetAll(keys);
            throw e;
        }
        // the sinks hold these versions: what this instance knows of the documents loses those intents as they did
        for (Map.Entry<String, List<Ack>> e : byId.entrySet()) {
            for (Ack a : e.getValue()) {
                revisions.acknowledged(ids.toBson(e.getKey()), a.sink(), a.version());
            }
        }
    }

    /**
     * The condition of a write that replaces the document read (or known) at {@code before.rev}: that revision, and
     * each intent the new document carries over still there. An acknowledgement removes intents without moving the
     * revision on (so that what an instance knows of a document survives its acknowledgements); a write must not
     * bring back an intent one removed meanwhile.
     */
    private static Bson unchangedSince(BsonValue id, Meta before, Collection<Intent> carried) {
        List<Bson> cond = new ArrayList<>(carried.size() + 3);
        cond.add(Filters.eq("_id", id));
        cond.add(Filters.eq(Meta.REV_PATH, before.rev));
        if (!before.writes.isEmpty()) {
            // the revision restarts with each life of the document (a replace that dropped _dw, then an adoption): the
            // token of its last commit, unique, tells this life from an earlier one at the same revision
            // (a document of the older layout holds its one token where that layout kept it)
            cond.add(Filters.eq(before.legacyWrite ? Meta.LEGACY_WRITE_PATH : Meta.WRITES_PATH,
                    before.writes.get(before.writes.size() - 1)));
        }
        for (Intent i : carried) {
            cond.add(Filters.eq(Meta.PENDING_PATH + "." + i.sink() + "." + Meta.V, i.version()));
        }
        return Filters.and(cond);
    }

    /** $set of the pending intents and the due time (or $unset when nothing is pending), revision + 1 (a reschedule). */
    private static Bson pendingUpdate(Meta meta) {
        Instant due = meta.due();
        List<Bson> ops = new ArrayList<>();
        ops.add(Updates.set(Meta.PENDING_PATH, meta.pendingDoc()));
        ops.add(due == null ? Updates.unset(DualWriteFilters.DUE) : Updates.set(DualWriteFilters.DUE, Meta.date(due)));
        ops.add(Updates.inc(Meta.REV_PATH, 1L));
        return Updates.combine(ops);
    }

    // ------------------------------------------------------------------ recovery

    /**
     * Three commands whatever the batch size: a read of the due candidates' ids, one update that leases every
     * candidate still due and free (the condition is checked per document as it is updated, so two claims never
     * lease one document while its lease lives, and a lease that ran out is taken over), and a read of the
     * documents that carry this claim's token (also when the update's reply was lost: the token is known before it is
     * sent). A candidate whose due time turned out early (an acknowledgement
     * left the time of an intent it removed) has it set right in one more command.
     */
    @Override
    public List<Snapshot<T>> claimDue(Instant now, int limit, String owner, Duration lease) {
        checkClaim(now, limit, owner, lease);
        // expiry is checked here, in the query: never rely on a TTL index having run
        Bson due = Filters.and(Filters.lte(DualWriteFilters.DUE, Meta.date(now)),
                Filters.or(Filters.exists(Meta.LEASE_UNTIL_PATH, false), Filters.lte(Meta.LEASE_UNTIL_PATH, Meta.date(now))));
        Bson order = Sorts.ascending(DualWriteFilters.DUE, "_id");
        List<BsonValue> candidates = new ArrayList<>();
        for (BsonDocument c : raw.find(due).sort(order).projection(new BsonDocument("_id", new BsonInt64(1)))
                .limit(limit)) {
            candidates.add(c.get("_id"));
        }
        if (candidates.isEmpty()) {
            return List.of();
        }
        // the token is chosen before the update, so whatever becomes of its reply, what it leased can be read back
        String claim = Meta.newToken();
        revisions.forgetAll(candidates);
        RuntimeException lost = null;
        try {
            raw.updateMany(Filters.and(Filters.in("_id", candidates), due),
                    Updates.combine(Updates.set(Meta.LEASE_OWNER_PATH, owner),
                            Updates.set(Meta.LEASE_UNTIL_PATH, Meta.date(now.plus(lease))),
                            Updates.set(Meta.CLAIM_PATH, claim), Updates.inc(Meta.REV_PATH, 1L)));
        } catch (RuntimeException e) {
            if (classifier().classify(e) != ErrorKind.UNKNOWN_OUTCOME) {
                throw e;
            }
            // leases that landed would otherwise hold their entities for nobody until they run out
            LOG.warn("outcome of the claim of due {} entities unknown ({}); reading back what it leased", entityName,
                    e.toString());
            lost = e;
        }
        List<BsonDocument> leased = new ArrayList<>();
        try {
            raw.find(Filters.and(Filters.in("_id", candidates), Filters.eq(Meta.CLAIM_PATH, claim))).sort(order)
                    .into(leased);
        } catch (RuntimeException e) {
            if (lost != null) {
                e.addSuppressed(lost);
            }
            throw e;
        }
        List<Snapshot<T>> claimed = new ArrayList<>();
        List<WriteModel<BsonDocument>> dueFixes = new ArrayList<>();
        for (BsonDocument d : leased) {
            Meta meta = Meta.of(d);
            Instant earliest = meta.due();
            if (earliest == null || earliest.isAfter(now)) {
                // conditional on every intent it was computed from: an acknowledgement that removed one meanwhile
                // (it does not move the revision on) must not find its due time put back
                dueFixes.add(new UpdateOneModel<>(unchangedSince(d.get("_id"), meta, meta.pending.values()),
                        Updates.combine(earliest == null
                        ? Updates.unset(DualWriteFilters.DUE) : Updates.set(DualWriteFilters.DUE, Meta.date(earliest)),
                        Updates.inc(Meta.REV_PATH, 1L))));
            }
            Snapshot<T> s = snapshotOrUnreadable(d);
            s.readFailure().ifPresent(e -> LOG.warn("{}/{} cannot be decoded ({}); its intents go to the dead-letter"
                    + " store", entityName, s.id(), e.toString()));
            claimed.add(s);
        }
        if (!dueFixes.isEmpty()) {
            try {
                raw.bulkWrite(dueFixes, new BulkWriteOptions().ordered(false));
            } catch (RuntimeException e) {
                LOG.debug("could not set the due time of {} claimed entities right: {}", dueFixes.size(), e.toString());
            }
        }
        return claimed;
    }

    /** @return the document's snapshot; an unreadable one when the codec cannot decode it */
    private Snapshot<T> snapshotOrUnreadable(BsonDocument doc) {
        Meta meta = Meta.of(doc);
        try {
            return snapshot(doc, meta);
        } catch (RuntimeException e) {
            String id = ids.fromBson(doc.get("_id"));
            return meta == null ? Snapshot.unreadable(id, 0, Instant.EPOCH, Map.of(), e)
                    : Snapshot.unreadable(id, meta.version, meta.at, meta.pending, e);
        }
    }

    @Override
    public void reschedule(String id, Collection<Intent> updated) {
        Objects.requireNonNull(updated, "updated");
        BsonValue key = ids.toBson(id);
        revisions.forget(key);
        for (int race = 0; race < MAX_RACES; race++) {
            BsonDocument d = raw.find(Filters.eq("_id", key)).first();
            Meta meta = d == null ? null : Meta.of(d);
            if (meta == null) {
                return;
            }
            boolean changed = false;
            for (Intent u : updated) {
                Intent existing = meta.pending.get(u.sink());
                if (existing != null && existing.version() == u.version()) {
                    meta.pending.put(u.sink(), u);
                    changed = true;
                }
            }
            if (!changed) {
                return;
            }
            if (raw.updateOne(unchangedSince(key, meta, meta.pending.values()), pendingUpdate(meta))
                    .getMatchedCount() == 1) {
                return;
            }
        }
    }

    @Override
    public void release(String id, String owner) {
        releaseAll(List.of(id), owner);
    }

    /** One command for the whole batch. */
    @Override
    public void releaseAll(Collection<String> idList, String owner) {
        Objects.requireNonNull(owner, "owner");
        if (idList.isEmpty()) {
            return;
        }
        List<BsonValue> keys = new ArrayList<>(idList.size());
        idList.forEach(id -> keys.add(ids.toBson(id)));
        revisions.forgetAll(keys); // their revisions move on
        raw.updateMany(Filters.and(Filters.in("_id", keys), Filters.eq(Meta.LEASE_OWNER_PATH, owner)),
                Updates.combine(Updates.unset(Meta.LEASE_OWNER_PATH), Updates.unset(Meta.LEASE_UNTIL_PATH),
                        Updates.unset(Meta.CLAIM_PATH), Updates.inc(Meta.REV_PATH, 1L)));
    }

    @Override
    public String toString() {
        return "MongoPrimaryStore{" + collection.getNamespace() + "}";
    }
}
