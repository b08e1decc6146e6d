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

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.mongodb.ErrorCategory;
import com.mongodb.bulk.BulkWriteResult;
import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Accumulators;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.DeleteManyModel;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.IndexModel;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateManyModel;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.WriteModel;
import io.dualwrite.ErrorKind;
import io.dualwrite.Operation;
import io.dualwrite.VersionConflictException;
import io.dualwrite.Versions;
import io.dualwrite.mongo.MongoEntityBusyException;
import io.dualwrite.mongo.MongoNotWrittenException;
import io.dualwrite.mongo.MongoWriteAheadStore;
import io.dualwrite.mongo.MongoWriteUnconfirmedException;
import io.dualwrite.spi.Ack;
import io.dualwrite.spi.CallerWriteException;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.Intent;
import io.dualwrite.spi.IntentSpec;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.UnreadableEntityException;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonObjectId;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.conversions.Bson;
import org.bson.types.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The write-ahead {@link MongoWriteAheadStore}. The intent collection holds two kinds of
 * documents:
 * <ul>
 *   <li>an <em>intent document</em> per write ({@code _id}: an ObjectId, the intents' ref):
 *       {@code entityId, op, v} (the version a delete produces; 0 for a save, whose version is
 *       read back), {@code at, corr, key, pending: {<sink>: {due, attempts, firstError,
 *       lastError}}, due, rev};</li>
 *   <li>an <em>entity document</em> per entity ({@code _id}: the entity id as a string):
 *       {@code base} (added to the document's version field to give dualwrite's version),
 *       {@code tomb} (the version of the last delete), {@code gone} (the same, once its caller's delete is
 *       known to have happened), {@code last} (the highest version field under this base that a save through the
 *       store left or that a read found, so that may have been delivered),
 *       {@code turnOwner, turnUntil} (the write turn; a {@code turnUntil} left without an owner, or past, marks a
 *       turn that ran out or was given up by a write whose outcome the record does not hold, so that the next
 *       save reads the document), {@code leaseOwner, leaseUntil} (recovery's lease).</li>
 * </ul>
 * Thread-safe; safe to share between processes.
 *
 * @param <T> the entity type
 */
public final class WriteAheadIntentStore<T> extends MongoStoreBase<T> implements MongoWriteAheadStore<T> {
    private static final Logger LOG = LoggerFactory.getLogger(WriteAheadIntentStore.class);
    private static final String ENTITY_ID = "entityId";
    private static final String OP = "op";
    private static final String V = "v";
    private static final String AT = "at";
    private static final String CORR = "corr";
    private static final String KEY = "key";
    private static final String PENDING = "pending";
    private static final String DUE = "due";
    private static final String REV = "rev";
    private static final String BASE = "base";
    private static final String TOMB = "tomb";
    /** The tombstone of a delete whose caller's delete is known to have happened (a failed delete keeps {@link #TOMB} only). */
    private static final String GONE = "gone";
    private static final String LEASE_OWNER = "leaseOwner";
    private static final String LEASE_UNTIL = "leaseUntil";
    private static final String TURN_OWNER = "turnOwner";
    private static final String TURN_UNTIL = "turnUntil";
    /** The version field the entity's last save through the store left. */
    private static final String LAST = "last";
    /**
     * The {@link #TURN_UNTIL} of a turn freed without its write finishing: free to take at once, and marking the
     * record as one that may not hold what is in the document (so is any {@code turnUntil} left by a turn that ran out).
     */
    private static final BsonDateTime TURN_MARK = Meta.date(Instant.EPOCH);
    /** The first pause while another write holds the entity; it doubles up to {@link #MAX_TURN_PAUSE_MILLIS}. */
    private static final long FIRST_TURN_PAUSE_MILLIS = 1;
    private static final long MAX_TURN_PAUSE_MILLIS = 100;
    /** How many times a read tries for a reading of an entity's document and record that agree. */
    private static final int READ_ATTEMPTS = 5;

    private final MongoCollection<BsonDocument> intents;
    private final String versionField;
    private final Clock clock;
    private final Duration settleTime;
    private final Duration writeLease;
    private final int turnAttempts;
    /** Per entity, what this instance's last save of it left in its record; null when the store remembers nothing. */
    private final Cache<String, KnownRecord> known;
    /** Whether saves of ids this instance does not remember have lately been of entities without a record. */
    private final NewIdGuess newIds = new NewIdGuess();

    /**
     * An entity's record as this instance's last save of it left it.
     *
     * @param base the version base
     * @param last the version field that save left
     */
    private record KnownRecord(long base, long last) {
    }

    /**
     * @param settings what the store's builder collected and checked
     */
    public WriteAheadIntentStore(WriteAheadStoreSettings<T> settings) {
        super(settings.collection(), new Ids(settings.idType()));
        WriteAheadStoreSettings.Timings timings = settings.timings();
        this.settleTime = timings.settleTime();
        this.writeLease = timings.writeLease();
        this.turnAttempts = turnAttempts(timings.writeWait());
        this.intents = settings.intents();
        this.versionField = settings.versionField();
        this.clock = settings.clock();
        WriteAheadStoreSettings.RecordCache cache = settings.recordCache();
        this.known = cache.maxEntities() == 0 ? null : Caffeine.newBuilder().maximumSize(cache.maxEntities())
                .expireAfterWrite(cache.expireAfter()).build();
        if (settings.createIndexes()) {
            ensureIndexes();
        }
    }

    /** The id of the document that says whose intents the intent collection holds: never an entity's record's. */
    private static final BsonDocument OWNER_MARK = new BsonDocument("dualwrite", new BsonString("intents of"));
    private static final String OWNER_OF = "of";

    /**
     * Marks the intent collection as this entity collection's (by the entity collection's name, so that a database
     * restored under another name keeps it), unless it is another one's already: records and intents are keyed by
     * the entity id alone, so two entity collections sharing one intent collection would share the records of equal
     * ids (their versions, their turns) and acknowledge each other's intents.
     *
     * @throws IllegalStateException when the intent collection holds another entity collection's intents
     */
    private void markIntentCollection() {
        String of = entities.getNamespace().getCollectionName();
        BsonDocument mark;
        try {
            mark = intents.findOneAndUpdate(Filters.eq("_id", OWNER_MARK), Updates.setOnInsert(OWNER_OF, of),
                    new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
        } catch (RuntimeException e) {
            if (!isDuplicateKey(e)) {
                throw e;
            }
            mark = intents.find(Filters.eq("_id", OWNER_MARK)).first(); // another instance marked it at once
        }
        String holder = mark == null || !mark.isString(OWNER_OF) ? of : mark.getString(OWNER_OF).getValue();
        if (!holder.equals(of)) {
            throw new IllegalStateException("the intent collection " + intents.getNamespace().getFullName()
                    + " holds the intents of collection '" + holder + "', not of '" + of + "': give each entity"
                    + " collection an intent collection of its own (records and intents are keyed by the entity id"
                    + " alone). If '" + of + "' is '" + holder + "' renamed, delete the document with _id "
                    + OWNER_MARK.toJson() + " from the intent collection, and build again");
        }
    }

    /** @return how many tries fit in the wait, pausing 1, 2, 4 … up to 100 ms between them (a count, so a seeded test replays) */
    private static int turnAttempts(Duration wait) {
        long left = wait.toMillis();
        int attempts = 1;
        for (long pause = FIRST_TURN_PAUSE_MILLIS; left >= pause; pause = Math.min(pause * 2, MAX_TURN_PAUSE_MILLIS)) {
            left -= pause;
            attempts++;
        }
        return attempts;
    }

    /** The caller's writes are its own: the coordinator cannot write a before-image back. */
    @Override
    public boolean supportsCompensation() {
        return false;
    }

    @Override
    public MongoCollection<BsonDocument> intentCollection() {
        return intents;
    }

    @Override
    public List<String> ensureIndexes() {
        markIntentCollection();
        return intents.createIndexes(List.of(
                new IndexModel(new BsonDocument(DUE, new BsonInt32(1)), new IndexOptions().name(INDEX_DUE).sparse(true)),
                new IndexModel(new BsonDocument(ENTITY_ID, new BsonInt32(1)),
                        new IndexOptions().name(INDEX_ENTITY).sparse(true)),
                new IndexModel(new BsonDocument(LEASE_UNTIL, new BsonInt32(1)),
                        new IndexOptions().name(INDEX_LEASE).sparse(true))));
    }

    // ------------------------------------------------------------------ commit

    @Override
    public Committed<T> commit(PrimaryWrite<T> write) {
        Objects.requireNonNull(write, "write");
        Supplier<? extends T> callerSave = write.callerSave().orElseThrow(() -> new UnsupportedOperationException(
                "the write-ahead store runs the caller's own save: use saveWith/deleteWith, or MongoPrimaryStore"
                        + " for save/delete"));
        if (write.requestKey().isPresent()) {
            throw new UnsupportedOperationException("request keys need the embedded mode (MongoPrimaryStore): in the"
                    + " write-ahead mode the caller's own write decides what a repeat does; nothing was written");
        }
        for (IntentSpec spec : write.intents()) {
            Indexes.checkSinkName(spec.sink());
        }
        String id = write.id();
        BsonValue key = ids.toBsonForWrite(id);
        // writes of one entity take turns: each one alone between its read and its read-back knows the
        // version it makes, and a delete's version is above every save before it
        Turn turn = new Turn(Meta.newToken());
        KnownRecord remembered = rememberedFor(write);
        boolean unknown = remembered == null && known != null && write.operation() == Operation.UPSERT
                && write.expectedVersion().isEmpty();
        BsonDocument meta = remembered != null ? shortTurn(write, remembered, turn)
                : unknown && newIds.guessNew() ? firstTurn(write, turn) : null;
        if (meta == null) {
            try {
                meta = takeTurn(id, turn);
            } catch (RuntimeException e) {
                dropUnwrittenIntent(write, turn);
                throw e;
            }
        }
        if (unknown) {
            newIds.learn(turn.created || withoutHistory(meta));
        }
        boolean mayLandLater = false;
        try {
            Committed<T> committed = commitInTurn(write, callerSave, key, meta, turn);
            if (committed.operation() == Operation.DELETE && known != null) {
                known.invalidate(id);
            }
            return committed;
        } catch (MongoNotWrittenException | VersionConflictException e) {
            dropUnwrittenIntent(write, turn);
            throw e;
        } catch (CallerWriteException e) {
            // the caller's write failed without a reply: it may still land. The store cannot make that write
            // conditional, so no other write of the entity may begin until it no longer can: the turn ends with its
            // lease (were a delete to come first, a late save could re-create the entity under versions already used)
            mayLandLater = mayStillLand(e.getCause());
            if (mayLandLater) {
                LOG.warn("the caller's write of {}/{} failed with an unknown outcome ({}); its write turn ends with its"
                        + " lease of {}, so that a late landing of it comes before any other write", entityName, id,
                        e.getCause().toString(), writeLease);
            }
            throw e;
        } finally {
            if (!mayLandLater && !turn.ended) {
                // once the caller's write was called, whatever it did is not in the record; before, a turn taken from
                // one that ran out keeps that one's mark
                endTurn(id, turn.token, turn.callerWriteCalled || turn.afterRunOut);
            }
        }
    }

    /**
     * One write's turn on its entity: its token, its intent's ref, whether the intent is recorded already (with
     * the command that took the turn), and whether the write's last command already ended the turn.
     */
    private static final class Turn {
        final String token;
        final ObjectId ref = new ObjectId();
        boolean intentRecorded;
        boolean ended;
        /** The command that took the turn created the entity's record, its version base with it. */
        boolean created;
        /**
         * The turn was taken from one that ran out or was given up instead of being ended by its write: that write's
         * outcome is not in the record (its caller's write threw or may land late, its last command failed, or its
         * instance stopped), so the document may be past what the record says.
         */
        boolean afterRunOut;
        /**
         * The caller's write was called: whatever it did to the document (even one that threw may have landed) is in
         * the record only once the write's last command lands.
         */
        boolean callerWriteCalled;

        Turn(String token) {
            this.token = token;
        }
    }

    /** @return what this instance remembers of the entity's record, when a save may take its turn the short way */
    private KnownRecord rememberedFor(PrimaryWrite<?> write) {
        if (known == null || write.operation() != Operation.UPSERT || write.expectedVersion().isPresent()) {
            return null;
        }
        return known.getIfPresent(write.id());
    }

    /**
     * Takes the write turn and records the save's intent in one command (one {@code update} of two statements),
     * conditional on the entity's record being as this instance's last save of it left it: no delete since, the
     * same base, the same last version field, and the last turn ended by its write (not run out). Those are all a
     * blind save reads from the record, so when the condition holds the record is known without reading it, and
     * the document is where the record's last version field says, but for writes from outside the store.
     *
     * @return the entity's record as remembered, with the turn held and the intent recorded; null when the record
     *         changed or another write holds the turn (the intent is recorded all the same: the caller takes the
     *         turn the long way and keeps it)
     * @throws MongoNotWrittenException when the command failed: nothing was written (a turn it may have taken
     *                                  is ended, an intent it may have recorded is removed, where possible)
     */
    private BsonDocument shortTurn(PrimaryWrite<T> write, KnownRecord remembered, Turn turn) {
        String id = write.id();
        Instant now = clock.instant();
        Bson sameBase = remembered.base() == 1 ? Filters.or(Filters.exists(BASE, false), Filters.eq(BASE, 1L))
                : Filters.eq(BASE, remembered.base());
        // a turn that ran out without being ended (its write's last command failed, or its instance stopped) is not
        // free here: that write may have moved the document past the record's last version field, which only a read
        // of the document shows, so the save takes the turn the long way
        Bson asRemembered = Filters.and(Filters.eq("_id", new BsonString(id)), Filters.exists(TURN_UNTIL, false),
                sameBase, Filters.eq(LAST, remembered.last()), Filters.exists(TOMB, false));
        List<WriteModel<BsonDocument>> models = List.of(
                new UpdateOneModel<>(asRemembered, new BsonDocument("$set", turnFields(turn.token, now))),
                newIntent(write, turn));
        BulkWriteResult r;
        try {
            r = intents.bulkWrite(models, new BulkWriteOptions().ordered(true));
        } catch (RuntimeException e) {
            throw notWrittenByTurnCommand(write, turn, e);
        }
        turn.intentRecorded = true;
        if (r.getMatchedCount() == 1) {
            return new BsonDocument(BASE, new BsonInt64(remembered.base())).append(LAST, new BsonInt64(remembered.last()));
        }
        known.invalidate(id);
        return null;
    }

    /**
     * Creates the entity's record with the write turn held and its version base set, and records the save's
     * intent, in one command (one {@code update} of two statements), for an id this instance does not remember
     * when such ids have lately had no record: an entity the store never wrote. The record statement only inserts
     * ({@code $setOnInsert} on the id), so a record that is there, whatever it holds and whoever holds its turn, is
     * left as it is; the save then takes the turn the long way, its intent recorded.
     *
     * <p>The record is created with the version base of a new incarnation (the commit time), so that a save that
     * then finds no document needs no command to set it. The document is still read before the caller's write: code
     * outside the store may have written one, whose version field and state the save must know (what a returned
     * entity is checked against, where a re-creation must go above).
     *
     * @return the record as created, with the turn held and the intent recorded; null when the entity has a record
     * @throws MongoNotWrittenException when the command failed: nothing was written (a turn it may have taken is
     *                                  ended, an intent it may have recorded is removed, where possible)
     */
    private BsonDocument firstTurn(PrimaryWrite<T> write, Turn turn) {
        String id = write.id();
        Instant now = clock.instant();
        long start = Versions.firstVersion(write.time());
        BsonDocument record = turnFields(turn.token, now).append(BASE, new BsonInt64(start));
        List<WriteModel<BsonDocument>> models = List.of(
                new UpdateOneModel<>(Filters.eq("_id", new BsonString(id)), new BsonDocument("$setOnInsert", record),
                        new com.mongodb.client.model.UpdateOptions().upsert(true)),
                newIntent(write, turn));
        BulkWriteResult r;
        try {
            r = intents.bulkWrite(models, new BulkWriteOptions().ordered(true));
        } catch (MongoBulkWriteException e) {
            if (e.getWriteErrors().size() == 1 && e.getWriteErrors().get(0).getIndex() == 0
                    && e.getWriteErrors().get(0).getCategory() == ErrorCategory.DUPLICATE_KEY) {
                return null; // another write created the record at the same moment; the ordered intent statement did not run
            }
            throw notWrittenByTurnCommand(write, turn, e);
        } catch (RuntimeException e) {
            throw notWrittenByTurnCommand(write, turn, e);
        }
        turn.intentRecorded = true;
        if (r.getUpserts().stream().anyMatch(u -> u.getIndex() == 0)) {
            turn.created = true;
            return new BsonDocument(BASE, new BsonInt64(start));
        }
        return null;
    }

    /**
     * @return the statement that records a save's intent (version still unknown) beside the command that takes its
     *         turn: an upsert by the intent's ref that only inserts, so a statement landing twice records it once
     */
    private static UpdateOneModel<BsonDocument> newIntent(PrimaryWrite<?> write, Turn turn) {
        BsonDocument intent = intentDoc(turn.ref, write, 0);
        intent.remove("_id");
        return new UpdateOneModel<>(Filters.eq("_id", turn.ref), new BsonDocument("$setOnInsert", intent),
                new com.mongodb.client.model.UpdateOptions().upsert(true));
    }

    /**
     * A command that takes a write turn and records the intent together failed: it may have landed with its reply
     * lost, so the turn it may have taken is ended (a retry need not wait for its lease) and the intent it may have
     * recorded removed (one left settles by itself).
     *
     * @return what to throw: nothing was written
     */
    private MongoNotWrittenException notWrittenByTurnCommand(PrimaryWrite<T> write, Turn turn, RuntimeException e) {
        endTurn(write.id(), turn.token, false); // taken (if at all) from a record without the mark, or created
        turn.intentRecorded = true;
        dropUnwrittenIntent(write, turn);
        return new MongoNotWrittenException(entityName, write.id(), e);
    }

    /** @return whether the entity's record, as a turn returned it, holds nothing of an earlier write */
    private static boolean withoutHistory(BsonDocument meta) {
        return !meta.containsKey(BASE) && !meta.containsKey(LAST) && !meta.containsKey(TOMB) && !meta.containsKey(GONE);
    }

    /** Remembers what a save left in its entity's record, once the command that wrote it there succeeded. */
    private void remember(String id, long base, long field) {
        if (known != null) {
            known.put(id, new KnownRecord(base, field));
        }
    }

    /**
     * Removes the intent a save recorded with a short-turn attempt, when the save then failed before the caller's
     * write: nothing was written, so nothing is to be delivered. One that cannot be removed settles by itself.
     */
    private void dropUnwrittenIntent(PrimaryWrite<?> write, Turn turn) {
        if (known != null) {
            known.invalidate(write.id());
        }
        if (!turn.intentRecorded) {
            return;
        }
        try {
            intents.deleteOne(Filters.and(Filters.eq("_id", turn.ref), Filters.eq(V, 0L)));
        } catch (RuntimeException e) {
            LOG.warn("could not remove the intent of the unwritten save of {}/{} ({}); recovery settles it", entityName,
                    write.id(), e.toString());
        }
    }

    /**
     * @return true when the caller's write failed with the driver's "sent, but no reply" (a dropped
     *         connection, a read timeout), also wrapped by the application's framework; false for the
     *         caller's own failures (optimistic locking, validation), which never land later
     */
    private boolean mayStillLand(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof com.mongodb.MongoException) {
                return classifier().classify(t) == ErrorKind.UNKNOWN_OUTCOME;
            }
        }
        return false;
    }

    /**
     * @return the version field the entity's last save through the store left, as its record remembers it,
     *         when that is all a save needs to know (no expected version, no delete since, the last write's turn
     *         ended by that write); null when the document has to be read first
     */
    private static Long lastSavedField(PrimaryWrite<?> write, BsonDocument meta, Turn turn) {
        if (write.operation() == Operation.DELETE || write.expectedVersion().isPresent() || meta.containsKey(TOMB)
                || !meta.isNumber(LAST) || turn.afterRunOut) {
            return null;
        }
        return meta.getNumber(LAST).longValue();
    }

    private Committed<T> commitInTurn(PrimaryWrite<T> write, Supplier<? extends T> callerSave, BsonValue key,
                                      BsonDocument meta, Turn turn) {
        String id = write.id();
        boolean delete = write.operation() == Operation.DELETE;
        long base = baseOf(meta);
        // the highest version the store may have given the entity's document: its last save through the store
        // (a document that code outside the store deleted or put back may come back below it)
        long high = meta.isNumber(LAST) ? base + meta.getNumber(LAST).longValue() : 0;
        // a blind save of an entity whose last write was a save through the store needs no read: its record says
        // where the entity's versions are, and the read-back after the caller's write tells this write's own. Not
        // after a write whose turn ran out: what it did to the document is not in the record
        Long previousField = lastSavedField(write, meta, turn);
        Snapshot<T> before = null;
        boolean absent = false;
        if (previousField == null) {
            BsonDocument entityDoc;
            try {
                entityDoc = entities.find(Filters.eq("_id", key)).first();
            } catch (RuntimeException e) {
                throw new MongoNotWrittenException(entityName, id, e);
            }
            absent = entityDoc == null;
            try {
                before = entityDoc != null ? live(id, entityDoc, meta, List.of()) : tombstone(id, meta, List.of());
            } catch (Undecodable e) {
                dropUnwrittenIntent(write, turn); // one recorded with the turn: nothing is written
                throw e.failure();
            }
            long actual = before == null ? 0 : before.version();
            if (!write.expects(actual, before != null && before.deleted())) {
                throw new VersionConflictException(entityName, id, write.expectedVersion().getAsLong(), actual);
            }
            // a document gone while its record still holds the version of a save (code outside the store deleted
            // it: a TTL index, say) may still be held by the sinks: this delete is what tells them
            boolean sinksMayHoldIt = meta.isNumber(LAST) && !meta.containsKey(TOMB);
            if (delete && absent && !sinksMayHoldIt) {
                return new Committed<>(Committed.Status.NOTHING_TO_DELETE, id, actual, Operation.DELETE, null, null,
                        write.time(), null);
            }
            previousField = absent ? null : versionField(id, entityDoc);
            if (before != null) {
                high = Math.max(high, before.version());
            }
            if (!absent) {
                high = Math.max(high, tombstoneBound(meta));
            }
        }
        // a delete goes above every version the store gave the entity, not only above the document as it is (an older
        // copy put back from outside the store reads below what the sinks hold)
        long deleteVersion = delete ? Math.max(before == null ? 0 : before.version(), high) + 1 : 0;
        ObjectId ref = turn.ref;
        try {
            // both updates are conditional on this write's turn: one that lands late (its reply lost, the
            // command held on the network) finds the turn over and changes nothing
            if (!delete && absent && !turn.created) {
                // (a record this write's first command created holds its base already)
                // a new incarnation: its versions start above the entity's last tombstone (kept for good), else at
                // the commit time; $max keeps the base from ever going down, whatever concurrent creators and clocks do
                long start = meta.containsKey(TOMB) ? meta.getNumber(TOMB).longValue() + 1
                        : Versions.firstVersion(write.time());
                inTurn(id, turn.token, Updates.combine(Updates.max(BASE, start), Updates.unset(TOMB),
                        Updates.unset(GONE)));
                base = Math.max(base, start);
            } else if (delete) {
                // the tombstone's version is recorded before the caller's delete: once the document is gone, nothing
                // else would remember how far its versions went
                inTurn(id, turn.token, Updates.combine(Updates.max(TOMB, deleteVersion), Updates.unset(LAST)));
            }
            // an intent that lands without its write (this command's reply lost) settles once the settle time passed
            if (!turn.intentRecorded) {
                intents.insertOne(intentDoc(ref, write, deleteVersion));
                turn.intentRecorded = true;
            }
        } catch (RuntimeException e) {
            throw new MongoNotWrittenException(entityName, id, e);
        }
        T returned;
        turn.callerWriteCalled = true;
        try {
            returned = callerSave.get();
        } catch (RuntimeException e) {
            throw new CallerWriteException(e);
        }
        // the caller's write completed: from here on a failure of the store's own commands leaves the
        // version unconfirmed, never "nothing was written"
        try {
            return afterCallerWrite(write, key, returned, before, previousField, base, high, ref, deleteVersion, turn);
        } catch (CallerWriteException e) {
            throw e;
        } catch (RuntimeException e) {
            keepIntent(write, ref, deleteVersion, e);
            if (e instanceof IllegalStateException || e instanceof MongoWriteUnconfirmedException) {
                throw e;
            }
            if (e instanceof Undecodable) {
                // the caller's write landed: a document the codec cannot read back is no refusal ("nothing was
                // written"), but a write whose version is unknown; recovery dead-letters it with the codec's error
                throw new MongoWriteUnconfirmedException(entityName, id, ((Undecodable) e).failure());
            }
            throw new MongoWriteUnconfirmedException(entityName, id, e);
        }
    }

    /**
     * After the caller's write, when the write's own commands failed or its turn ran out: its intent must stay for
     * recovery, which delivers what the primary holds. It may have gone meanwhile (recovery settled and acknowledged
     * it, or dropped it, while the caller's write was held), or a save's may carry a version on a base another write
     * moved since, which that write's acknowledgement would take. A save's intent is recorded again with its version
     * unknown (no other write's acknowledgement takes that; recovery settles it), a delete's at its version. One
     * command, idempotent; when it fails too, the failure is logged and the caller's exception stands.
     */
    private void keepIntent(PrimaryWrite<T> write, ObjectId ref, long deleteVersion, RuntimeException failure) {
        try {
            intents.bulkWrite(List.of(write.operation() == Operation.DELETE ? deleteIntentUpsert(write, ref, deleteVersion)
                    : intentUpsert(write, ref, Updates.set(V, new BsonInt64(0)))));
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
            LOG.warn("could not keep the intent of the {} of {}/{} after its own commands failed ({}); a later write or a"
                    + " reconciliation run brings the sinks to the primary", write.operation(), entityName, write.id(),
                    e.toString());
        }
    }

    /** @return the entity's version base as its record holds it (1 for a document the store did not create) */
    private static long baseOf(BsonDocument meta) {
        return meta != null && meta.containsKey(BASE) ? meta.getNumber(BASE).longValue() : 1;
    }

    /**
     * @return what a document that is there despite a delete through the store must go above: that delete's version
     *         once its caller's delete is known to have happened (the sinks may hold the tombstone: the document was
     *         created again outside the store), else every version the store gave before it (the delete failed, or
     *         its last command did: the sinks get its tombstone only from recovery, which marks it gone first); 0
     *         without a tombstone
     */
    private static long tombstoneBound(BsonDocument meta) {
        return Math.max(meta.isNumber(GONE) ? meta.getNumber(GONE).longValue() : 0, beforeTombstone(meta));
    }

    /** @return the highest version the store gave the entity before its last delete through the store; 0 without one */
    private static long beforeTombstone(BsonDocument meta) {
        return meta.isNumber(TOMB) ? meta.getNumber(TOMB).longValue() - 1 : 0;
    }

    /**
     * @return the version an out-of-line document must go above: the last save through the store, or the
     *         tombstone the sinks hold; 0 when the document is in line with its record (its version field above the
     *         last save's, no tombstone below it). An out-of-line document was re-created or put back by code
     *         outside the store.
     */
    private static long outOfLine(BsonDocument meta, long field) {
        if (meta == null) {
            return 0;
        }
        long base = baseOf(meta);
        long high = 0;
        if (meta.isNumber(LAST) && field < meta.getNumber(LAST).longValue()) {
            high = base + meta.getNumber(LAST).longValue();
        }
        if (meta.isNumber(GONE) && base + field <= meta.getNumber(GONE).longValue()) {
            high = Math.max(high, meta.getNumber(GONE).longValue()); // the sinks may hold the tombstone
        }
        if (base + field < beforeTombstone(meta)) {
            high = Math.max(high, beforeTombstone(meta)); // put back below where the delete found it
        }
        return high;
    }

    /**
     * Moves an out-of-line document's version base (while holding the entity's write turn) so that its versions
     * continue above every version the store gave it, and has the record remember its version field and forget
     * a tombstone below it: from then on a read gives the document its new version.
     *
     * @param base the base as the record held it when the turn was taken
     * @return the base now ({@code $max}: a base never goes down)
     * @throws IllegalStateException when the turn ran out: nothing was changed
     */
    private long moveBase(String id, String token, long base, long start, long field) {
        inTurn(id, token, moveBaseUpdate(start, field));
        return Math.max(base, start);
    }

    /** @return the update that moves the base to at least {@code start}, for a document at version field {@code field} */
    private static Bson moveBaseUpdate(long start, long field) {
        return Updates.combine(Updates.max(BASE, start), Updates.set(LAST, new BsonInt64(field)), Updates.unset(TOMB),
                Updates.unset(GONE));
    }

    /**
     * @param returned      what the caller's save returned as saved, or null to read it back
     * @param previousField the version field before the caller's write: read in this turn, or as the entity's
     *                      last save through the store left it; null for a new incarnation
     * @param base          the entity's version base, as this turn left it
     * @param high          the highest version the store may have given the entity (0 if none): the one read
     *                      before the caller's write, the one its last save through the store left, or the
     *                      tombstone of its delete through the store
     */
    private Committed<T> afterCallerWrite(PrimaryWrite<T> write, BsonValue key, T returned, Snapshot<T> before,
                                          Long previousField, long base, long high, ObjectId ref,
                                          long deleteVersion, Turn turn) {
        String id = write.id();
        // a save that returns what it saved says its own version: no read-back, and no later write can be taken
        // for it; one that returns nothing is read back
        BsonDocument own = returned != null && write.operation() == Operation.UPSERT ? encodeReturned(id, returned) : null;
        if (own != null && previousField != null && versionField(id, own) <= previousField) {
            // a save grows the version field: one returned at or below where it was is not what the save wrote (the
            // caller's input as it was before an immutable-style save, say), and must not reach a sink
            LOG.warn("the caller's save of {}/{} returned an entity with version field '{}' {}, not above the {} before"
                    + " the save: saveReturning needs the saved entity itself; reading it back instead", entityName, id,
                    versionField, own.get(versionField), previousField);
            own = null;
        }
        boolean ownState = own != null;
        BsonDocument after = ownState ? own : entities.find(Filters.eq("_id", key)).first();
        if (write.operation() == Operation.DELETE) {
            if (after != null) {
                throw new CallerWriteException(new IllegalStateException("the caller's delete left " + entityName
                        + "/" + id + " in place; recovery delivers its current state"));
            }
            long version = finish(write, ref, null, null, deleteVersion, turn) ? deleteVersion
                    : deleteAfterLostTurn(write, key, ref, deleteVersion);
            return new Committed<>(Committed.Status.WRITTEN, id, version, Operation.DELETE, null, before,
                    write.time(), ref.toHexString());
        }
        if (after == null) {
            throw new CallerWriteException(new IllegalStateException("after the caller's save, " + entityName + "/"
                    + id + " is absent; recovery delivers whatever the primary holds"));
        }
        long field = versionField(id, after);
        if (base + field <= high) {
            // something outside the store deleted the document and wrote it anew, or put an older copy back: its
            // version field is at or below one the store already gave (the sinks hold that version, and would take
            // this state for it), so the base moves above every version the store gave it ($max: a base never goes
            // down). It moves before any refusal below: recovery then delivers what the primary holds as a new version
            long start = Math.max(Versions.firstVersion(write.time()), high + 1 - field);
            LOG.warn("the version field of {}/{} is {}, at or below the {} the store last saw: something outside the"
                    + " store re-created it; its versions continue from {}", entityName, id, field,
                    high - base, start + field);
            base = moveBase(id, turn.token, base, start, field);
        }
        if (previousField != null && field == previousField) {
            throw new IllegalStateException("the version field '" + versionField + "' of " + entityName + "/" + id
                    + " did not grow with the caller's save (still " + field + "): the write-ahead mode needs"
                    + " a version field that every save increments, such as Spring Data's @Version (or code outside"
                    + " the store re-created the document at the version the store last saw; recovery delivers it)");
        }
        T state;
        try {
            state = codec.decode(after);
        } catch (RuntimeException e) {
            throw new Undecodable(e);
        }
        long version = base + field;
        // within its turn no other write of the store comes between: the version read back is this one's, unless
        // something outside the store wrote the document too (then it grew by more than one)
        boolean versionKnown = ownState || previousField == null || field == previousField + 1;
        if (!finish(write, ref, version, field, null, turn)) {
            // the turn ran out (its lease) before the save's last command, or its intent went meanwhile (recovery
            // settled and delivered it, or dropped it while the entity did not exist yet): the version may rest on a
            // base another write moved since, and is not delivered from here (the caller keeps the intent, below)
            if (known != null) {
                known.invalidate(id);
            }
            throw new MongoWriteUnconfirmedException(entityName, id, new IllegalStateException("the write turn ended"
                    + " (its lease of " + writeLease + " ran out) before the save recorded its version " + version));
        }
        remember(id, base, field);
        return new Committed<>(Committed.Status.WRITTEN, id, version, Operation.UPSERT, state, before, write.time(),
                ref.toHexString(), versionKnown);
    }

    /**
     * @return the BSON form of the entity the caller's save returned, or null when it is not the entity being
     *         written or cannot be encoded (then the store reads back what was written: the write has happened)
     */
    private BsonDocument encodeReturned(String id, T returned) {
        BsonDocument doc;
        try {
            doc = codec.encode(returned);
        } catch (RuntimeException e) {
            LOG.warn("the entity the caller's save of {}/{} returned cannot be encoded with the collection's codec ({});"
                    + " reading it back instead", entityName, id, e.toString());
            return null;
        }
        BsonValue returnedId = doc.get("_id");
        if (returnedId == null || !returnedId.equals(ids.toBson(id)) || !doc.isNumber(versionField)) {
            LOG.warn("the caller's save of {}/{} returned an entity with id {} and version field '{}' {}: saveReturning"
                    + " needs the saved entity itself, with its version; reading it back instead", entityName, id,
                    returnedId, versionField, doc.get(versionField));
            return null;
        }
        return doc;
    }

    /** @return the numeric version field of an entity document */
    private long versionField(String id, BsonDocument entityDoc) {
        BsonValue field = entityDoc.get(versionField);
        if (field == null || !field.isNumber()) {
            throw new Undecodable(new IllegalStateException(entityName + "/" + id + " has no numeric version field '"
                    + versionField + "': the write-ahead mode reads the version from the document (configure"
                    + " versionField)"));
        }
        return field.asNumber().longValue();
    }

    /**
     * The write's last command, one round trip: a save's intent learns the version its delivery must reach
     * (never lower than recovery may already have settled it at), and its due time back if recovery pushed it
     * while the caller's write was on its way; until then no delivery of an older version can acknowledge it.
     * The entity's record remembers the version field the save left, so that the next blind save needs no
     * read, and the turn ends.
     *
     * @param version the save's version, null for a delete (its intent knew it from the start)
     * @param field   the version field the save left, null for a delete
     * @param gone    the version of a delete, whose caller's delete happened; null for a save
     * @return false when the turn had ended (its lease ran out) before the command
     * @throws RuntimeException when the command failed: the write's version is then not to be delivered by the caller
     */
    private boolean finish(PrimaryWrite<T> write, ObjectId ref, Long version, Long field, Long gone, Turn turn) {
        List<WriteModel<BsonDocument>> models = new ArrayList<>(2);
        if (gone != null) {
            // the delete happened: its intent is there for recovery, even if recovery dropped it meanwhile as a delete
            // that never took effect (the caller's delete held past the settle time) or a save at the tombstone's
            // version acknowledged it (the turn ran out)
            models.add(deleteIntentUpsert(write, ref, gone));
        }
        if (version != null) {
            Instant due = Intent.earliestDue(write.intents().stream()
                    .map(spec -> new Intent(spec.sink(), version, spec.dueAt(), 0, null, null, null, null, null)).toList());
            models.add(new UpdateOneModel<>(Filters.eq("_id", ref), Updates.combine(Updates.max(V, version),
                    due == null ? Updates.unset(DUE) : Updates.set(DUE, Meta.date(due)), Updates.inc(REV, 1L))));
        }
        Bson endTurn = Updates.combine(Updates.unset(TURN_OWNER), Updates.unset(TURN_UNTIL));
        // a save's version is above any tombstone the record kept (a failed delete, or one before a re-creation outside
        // the store): the record forgets it, so that no reading of a later outside delete reports that tombstone's
        // version again
        Bson record = field != null ? Updates.combine(endTurn, Updates.set(LAST, new BsonInt64(field)),
                Updates.unset(TOMB), Updates.unset(GONE))
                : gone != null ? Updates.combine(endTurn, Updates.max(GONE, gone)) : endTurn;
        models.add(new UpdateOneModel<>(Filters.and(Filters.eq("_id", new BsonString(write.id())),
                Filters.eq(TURN_OWNER, turn.token)), record));
        // when this command fails, the write's version must not reach a sink from here: its record may not hold it
        // (a save's version field, a delete's being done), and were an older copy put back or the document created
        // again outside the store meanwhile, a later write could make that version again for another state. The
        // write's outcome is unknown to its caller; recovery, which has the record learn what it reads before it
        // delivers, delivers what is there
        BulkWriteResult r = intents.bulkWrite(models, new BulkWriteOptions().ordered(false));
        turn.ended = true;
        boolean all = r.getMatchedCount() + r.getUpserts().size() == models.size();
        if (!all) {
            markIfFree(write.id());
        }
        return all;
    }

    /**
     * A write whose last command did not land everywhere: its turn was over (its lease ran out: a caller's write
     * slower than the lease, or clocks that disagree by more than it), and its caller's write may have landed after
     * another write took the turn over and finished, which cleared the mark; or its intent went meanwhile. The record
     * is marked again, unless a write holds the turn now, so that the next save reads the document. A mark where none
     * was needed costs that save one read.
     */
    private void markIfFree(String id) {
        try {
            intents.updateOne(Filters.and(Filters.eq("_id", new BsonString(id)), Filters.exists(TURN_OWNER, false),
                    Filters.exists(TURN_UNTIL, false)), Updates.set(TURN_UNTIL, TURN_MARK));
        } catch (RuntimeException e) {
            LOG.warn("could not mark the record of {}/{} after its write's turn ran out ({})", entityName, id,
                    e.toString());
        }
    }

    /** @return the update that records a delete's intent at (at least) {@code version}, whether or not it is still there */
    private static UpdateOneModel<BsonDocument> deleteIntentUpsert(PrimaryWrite<?> write, ObjectId ref, long version) {
        return intentUpsert(write, ref, Updates.max(V, version));
    }

    /** @return the update that sets a write's intent's version as {@code version} says, recording the intent again if it went */
    private static UpdateOneModel<BsonDocument> intentUpsert(PrimaryWrite<?> write, ObjectId ref, Bson version) {
        BsonDocument intent = intentDoc(ref, write, 0);
        intent.remove("_id");
        intent.remove(V);
        intent.remove(REV);
        return new UpdateOneModel<>(Filters.eq("_id", ref), Updates.combine(new BsonDocument("$setOnInsert", intent),
                version, Updates.inc(REV, 1L)), new com.mongodb.client.model.UpdateOptions().upsert(true));
    }

    /**
     * A delete whose write turn ran out before its caller's delete landed: meanwhile another write may
     * have taken the turn, read the document still there and made the delete's version its own. The
     * delete takes the turn again; if the entity is still gone, its tombstone and its intent move above
     * every version given since, so that the delete is delivered as the newest write (if the entity was
     * re-created meanwhile, that newer write is what the sinks get, and it settles this intent). Meanwhile the
     * delete's intent may have gone, acknowledged by a save at the tombstone's version or dropped by recovery as a
     * delete that never happened: while the entity is gone, it is recorded again, so that recovery delivers the
     * delete if the caller's path does not.
     *
     * @return the delete's version
     */
    private long deleteAfterLostTurn(PrimaryWrite<T> write, BsonValue key, ObjectId ref, long deleteVersion) {
        String id = write.id();
        LOG.warn("the write turn of the delete of {}/{} ran out (its lease of {}) before the caller's delete landed;"
                + " checking that no write took its version meanwhile", entityName, id, writeLease);
        Turn again = new Turn(Meta.newToken());
        BsonDocument meta = takeTurn(id, again);
        try {
            if (entities.find(Filters.eq("_id", key)).first() != null) {
                return deleteVersion; // re-created since: the newer write is delivered, above this delete
            }
            // this delete's own record of its tombstone forgot the last save; a save since remembers it again, and a
            // delete since left a tombstone above this one's
            long saved = meta.isNumber(LAST) ? baseOf(meta) + meta.getNumber(LAST).longValue() : 0;
            if (meta.isNumber(TOMB) && meta.getNumber(TOMB).longValue() > deleteVersion) {
                saved = Math.max(saved, meta.getNumber(TOMB).longValue());
            }
            long version = deleteVersion;
            if (saved < deleteVersion) {
                inTurn(id, again.token, Updates.max(GONE, deleteVersion));
            } else {
                version = Math.max(saved, meta.isNumber(TOMB) ? meta.getNumber(TOMB).longValue() : 0) + 1;
                inTurn(id, again.token, Updates.combine(Updates.max(TOMB, version), Updates.max(GONE, version),
                        Updates.unset(LAST)));
            }
            intents.bulkWrite(List.of(deleteIntentUpsert(write, ref, version)));
            return version;
        } finally {
            endTurn(id, again.token, again.afterRunOut);
        }
    }
    /**
     * Takes the entity's write turn (its record in the intent collection, created if missing), waiting
     * while another write holds it; a turn whose holder stopped ends with its lease.
     *
     * @return the entity's record; {@code turn} says whether the turn was taken from a write whose turn ran out
     * @throws MongoNotWrittenException when the turn cannot be had: nothing was written
     */
    private BsonDocument takeTurn(String id, Turn turn) {
        long pause = FIRST_TURN_PAUSE_MILLIS;
        for (int attempt = 1; ; attempt++) {
            Taken taken;
            try {
                taken = tryTurn(id, turn.token, clock.instant());
            } catch (RuntimeException e) {
                throw new MongoNotWrittenException(entityName, id, e);
            }
            if (taken != null) {
                turn.afterRunOut = taken.afterRunOut();
                return taken.meta();
            }
            if (attempt >= turnAttempts) {
                throw new MongoNotWrittenException(entityName, id, new IllegalStateException("another write of "
                        + entityName + "/" + id + " held it for longer than this write waits"));
            }
            pause = pauseBeforeRetry(pause, e -> new MongoNotWrittenException(entityName, id, e));
        }
    }

    /**
     * One try at the entity's write turn.
     *
     * @return the entity's record (created when it has none) with the turn taken, and whether the turn was taken
     *         from a write whose turn ran out instead of being ended; null when another write holds the turn
     * @throws RuntimeException when the command failed; a turn it may have taken (its reply lost) is ended again, so
     *                          that a retry need not wait for its lease (one that cannot be ended ends with its lease)
     */
    private Taken tryTurn(String id, String token, Instant now) {
        BsonDocument turnFields = turnFields(token, now);
        BsonDocument before;
        try {
            // the record as it was before the turn was taken: one that still names a turn had it run out
            before = intents.findOneAndUpdate(turnFree(id, now), new BsonDocument("$set", turnFields),
                    new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.BEFORE));
        } catch (RuntimeException e) {
            if (isDuplicateKey(e)) {
                return null; // the record is there and another write holds its turn
            }
            endTurn(id, token, true); // the record it may have taken the turn from may have had the mark
            throw e;
        }
        if (before == null) { // this command created the record
            BsonDocument created = new BsonDocument("_id", new BsonString(id));
            created.putAll(turnFields);
            return new Taken(created, false);
        }
        boolean afterRunOut = before.containsKey(TURN_UNTIL);
        BsonDocument meta = before.clone();
        meta.putAll(turnFields);
        return new Taken(meta, afterRunOut);
    }

    /** The entity's record as a write turn left it when taken, and whether it was taken from a turn that ran out. */
    private record Taken(BsonDocument meta, boolean afterRunOut) {
    }

    /**
     * Waits before the next try at a turn another write holds: 1, 2, 4 … up to 100 ms.
     *
     * @param interrupted what to throw when the thread is interrupted (its interrupt flag is kept)
     * @return the pause before the try after the next
     */
    private static long pauseBeforeRetry(long pause,
                                         java.util.function.Function<InterruptedException, RuntimeException> interrupted) {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted.apply(e);
        }
        return Math.min(pause * 2, MAX_TURN_PAUSE_MILLIS);
    }

    /** @return the entity's record, while no write holds its turn (none, or one whose lease ran out by {@code now}) */
    private static Bson turnFree(String id, Instant now) {
        return Filters.and(Filters.eq("_id", new BsonString(id)),
                Filters.or(Filters.exists(TURN_UNTIL, false), Filters.lte(TURN_UNTIL, Meta.date(now))));
    }

    /** @return the record's fields that give the entity's write turn to {@code token}, for one write lease from {@code now} */
    private BsonDocument turnFields(String token, Instant now) {
        return new BsonDocument(TURN_OWNER, new BsonString(token)).append(TURN_UNTIL, Meta.date(now.plus(writeLease)));
    }

    /**
     * Updates the entity's record while this write holds its turn.
     *
     * @throws IllegalStateException when the turn is over (its lease ran out): nothing was changed
     */
    private void inTurn(String id, String turn, Bson update) {
        if (intents.updateOne(Filters.and(Filters.eq("_id", new BsonString(id)), Filters.eq(TURN_OWNER, turn)), update)
                .getMatchedCount() == 0) {
            throw new IllegalStateException("the write turn on " + entityName + "/" + id + " ended (its lease of "
                    + writeLease + " ran out) before the write began");
        }
    }

    /**
     * Ends a write turn, if this write still holds it, other than by a write's last command or a read's learning
     * (which end their turns themselves): a write or read that did not finish, a read that found nothing to learn,
     * a delete's second turn. A turn that cannot be ended ends with its lease, and then reads as one that ran out.
     *
     * @param keepMark whether the record may not hold what is in the document: the caller's write was called (it may
     *                 have landed even if it threw), the turn was taken from one that ran out or was given up (whose
     *                 mark this turn took over), or it is not known which. The turn is then freed with its expiry kept,
     *                 in the past, as the mark that makes the next save read the document instead of trusting the
     *                 record's last version field; otherwise both turn fields go
     */
    private void endTurn(String id, String turn, boolean keepMark) {
        try {
            intents.updateOne(Filters.and(Filters.eq("_id", new BsonString(id)), Filters.eq(TURN_OWNER, turn)),
                    Updates.combine(Updates.unset(TURN_OWNER), keepMark ? Updates.set(TURN_UNTIL,
                            TURN_MARK) : Updates.unset(TURN_UNTIL)));
        } catch (RuntimeException e) {
            LOG.warn("could not end the write turn on {}/{} ({}); it ends with its lease", entityName, id, e.toString());
        }
    }

    private static boolean isDuplicateKey(RuntimeException e) {
        return (e instanceof MongoWriteException
                && ((MongoWriteException) e).getError().getCategory() == ErrorCategory.DUPLICATE_KEY)
                || (e instanceof MongoCommandException && ((MongoCommandException) e).getErrorCode() == 11000);
    }

    private static BsonDocument intentDoc(ObjectId ref, PrimaryWrite<?> write, long deleteVersion) {
        BsonDocument pending = new BsonDocument();
        Instant due = null;
        for (IntentSpec spec : write.intents()) {
            pending.append(spec.sink(), new BsonDocument(DUE, Meta.date(spec.dueAt())).append("attempts", new BsonInt32(0)));
            due = due == null || spec.dueAt().isBefore(due) ? spec.dueAt() : due;
        }
        BsonDocument d = new BsonDocument("_id", new BsonObjectId(ref)).append(ENTITY_ID, new BsonString(write.id()))
                .append(OP, new BsonString(write.operation().name())).append(V, new BsonInt64(deleteVersion))
                .append(AT, Meta.date(write.time())).append(CORR, new BsonString(write.correlationId()))
                .append(PENDING, pending).append(REV, new BsonInt64(1));
        write.idempotencyKey().ifPresent(k -> d.append(KEY, new BsonString(k)));
        if (due != null) {
            d.append(DUE, Meta.date(due));
        }
        return d;
    }

    // ------------------------------------------------------------------ reads

    @Override
    public Optional<Snapshot<T>> read(String id) {
        try {
            return readOrUndecodable(id);
        } catch (Undecodable e) {
            throw new UnreadableEntityException(entityName, unreadable(id, e.failure()));
        }
    }

    /** @return the entity's snapshot, an unreadable one when its document cannot be read, empty when absent */
    private Optional<Snapshot<T>> snapshotOrUnreadable(String id) {
        try {
            return readOrUndecodable(id);
        } catch (Undecodable e) {
            return Optional.of(unreadable(id, e.failure()));
        }
    }

    /**
     * An entity's document and its record, as one consistent reading: no write through the store changed how the
     * record places the document's versions (base, last save, tombstone, write turn) while the document was read.
     *
     * @param entity the entity's document, null when absent
     * @param meta   its record, null when it has none (when the record kept changing, its last reading)
     */
    private record Held(BsonDocument entity, BsonDocument meta) {
    }

    /** @return the entity's document and record: the record, the document, the record again until they agree */
    private Held readHeld(String id) {
        Bson record = Filters.eq("_id", new BsonString(id));
        BsonDocument meta = intents.find(record).first();
        for (int attempt = 1; ; attempt++) {
            BsonDocument entity = entities.find(Filters.eq("_id", ids.toBson(id))).first();
            BsonDocument again = intents.find(record).first();
            if (sameVersioning(meta, again)) {
                return new Held(entity, again);
            }
            if (attempt >= READ_ATTEMPTS) {
                return new Held(entity, again); // writes keep changing it: the newest reading
            }
            meta = again;
        }
    }

    /**
     * A read's version can be delivered (recovery, a repair, a replay), so the entity's record must hold it first:
     * were an older copy put back, or the document created again outside the store, afterwards, the next write
     * through the store would otherwise make that version again for another state.
     *
     * @return the update that has the record hold what the reading found, or null when it holds it already:
     *         <ul>
     *           <li>a document below what the store gave the entity (put back or created again by code outside the
     *               store, see {@link #outOfLine}) moves the version base above that, so that it is delivered as a
     *               new version;</li>
     *           <li>a document above the highest version field the record remembers (a save whose last command
     *               failed, or a write from outside the store) makes that field the highest, unless it is no higher
     *               than where the entity's last delete through the store found it (every later write goes above
     *               that already);</li>
     *           <li>an absent document whose tombstone is not yet marked gone (a delete whose last command failed)
     *               marks it gone.</li>
     *         </ul>
     */
    private Bson unrecorded(Held held, Instant now) {
        BsonDocument meta = held.meta();
        BsonDocument entity = held.entity();
        if (meta == null) {
            // never written through the store (a document that was there before the store managed the collection):
            // its version (base 1 + field) may reach a sink from this reading, so the record must hold it too, or an
            // older copy put back later would be given that version again by the next save
            return entity != null && entity.isNumber(versionField)
                    ? Updates.max(LAST, entity.getNumber(versionField).longValue()) : null;
        }
        if (entity == null) {
            boolean notYetGone = meta.isNumber(TOMB) && (!meta.isNumber(GONE)
                    || meta.getNumber(GONE).longValue() < meta.getNumber(TOMB).longValue());
            return notYetGone ? Updates.max(GONE, meta.getNumber(TOMB).longValue()) : null;
        }
        if (!entity.isNumber(versionField)) {
            return null;
        }
        long field = entity.getNumber(versionField).longValue();
        long high = outOfLine(meta, field);
        if (high > 0) {
            return moveBaseUpdate(Math.max(Versions.firstVersion(now), high + 1 - field), field);
        }
        boolean above = (!meta.isNumber(LAST) || field > meta.getNumber(LAST).longValue())
                && baseOf(meta) + field > beforeTombstone(meta);
        // a tombstone kept below the document (a delete that failed) is forgotten, as a save's last command forgets
        // it: reported again after a later delete outside the store, its version would be one a sink holds
        return above ? Updates.combine(Updates.max(LAST, field), Updates.unset(TOMB), Updates.unset(GONE)) : null;
    }

    /**
     * Has the entity's record hold what a reading found (see {@link #unrecorded}), under the entity's write turn,
     * so that no write of the store comes between the reading returned and the record learning it. Three or four
     * commands, and only for such a reading; a write holding the turn is waited for, as a write waits (its last
     * command usually records what it left, and the reading is then taken again).
     *
     * @return a reading that its record holds
     * @throws MongoEntityBusyException when a write held the entity for longer than a write waits
     */
    private Held recorded(String id, Held held) {
        long pause = FIRST_TURN_PAUSE_MILLIS;
        for (int attempt = 1; unrecorded(held, clock.instant()) != null; attempt++) {
            Held learned = learnInTurn(id);
            if (learned != null) {
                return learned;
            }
            if (attempt >= turnAttempts) {
                throw new MongoEntityBusyException(entityName, id);
            }
            pause = pauseBeforeRetry(pause, e -> new MongoEntityBusyException(entityName, id));
            held = readHeld(id);
        }
        return held;
    }

    /**
     * One try of {@link #recorded}: takes the turn if no write holds it, reads the document, has the record learn
     * what it needs to, and ends the turn.
     *
     * @return the reading taken in the turn, which the record holds; null when a write held the turn, or the turn
     *         ran out before the record learned it (then nothing was learned, and the reading is not to be returned)
     */
    private Held learnInTurn(String id) {
        String token = Meta.newToken();
        Instant now = clock.instant();
        // the record is created when missing: a document the store never wrote has none yet
        Taken taken = tryTurn(id, token, now);
        if (taken == null) {
            return null;
        }
        BsonDocument meta = taken.meta();
        // a reading that finds nothing to learn shows the record holding the document: the turn ends without a mark
        boolean keepMark = taken.afterRunOut();
        boolean ended = false;
        try {
            BsonDocument entity = entities.find(Filters.eq("_id", ids.toBson(id))).first();
            Bson learn = unrecorded(new Held(entity, meta), now);
            if (learn == null) {
                // a document whose version field is not a number (being rewritten outside the store) tells nothing:
                // the record may still be behind it
                keepMark = keepMark && entity != null && !entity.isNumber(versionField);
                return new Held(entity, meta);
            }
            String found = entity == null ? "it deleted" : "version field " + entity.get(versionField);
            if (entity != null && outOfLine(meta, entity.getNumber(versionField).longValue()) > 0) {
                LOG.warn("{}/{} reads at {}, below what the store gave it: something outside the store put it back or"
                        + " re-created it; its version base moves above", entityName, id, found);
            } else {
                LOG.info("{}/{} reads at {}, which its record does not hold yet (a write whose last command failed, or a"
                        + " write from outside the store): the record learns it", entityName, id, found);
            }
            long matched = intents.updateOne(Filters.and(Filters.eq("_id", new BsonString(id)),
                    Filters.eq(TURN_OWNER, token)), Updates.combine(learn, Updates.unset(TURN_OWNER),
                    Updates.unset(TURN_UNTIL))).getMatchedCount();
            ended = true;
            return matched == 0 ? null : new Held(entity, intents.find(Filters.eq("_id", new BsonString(id))).first());
        } finally {
            if (!ended) {
                endTurn(id, token, keepMark);
            }
        }
    }

    /** @return whether two readings of a record place the entity's versions alike */
    private static boolean sameVersioning(BsonDocument a, BsonDocument b) {
        if (a == null || b == null) {
            return a == b;
        }
        for (String f : List.of(BASE, LAST, TOMB, GONE, TURN_OWNER)) {
            if (!Objects.equals(a.get(f), b.get(f))) {
                return false;
            }
        }
        return true;
    }

    /**
     * @throws Undecodable         when the entity's document cannot be read
     * @throws MongoEntityBusyException when the record has to learn what the reading found (see {@link #unrecorded}) and
     *                             a write held the entity for longer than a write waits
     */
    private Optional<Snapshot<T>> readOrUndecodable(String id) {
        Held held = recorded(id, readHeld(id));
        BsonDocument entityDoc = held.entity();
        BsonDocument meta = held.meta();
        List<BsonDocument> docs = intents.find(Filters.eq(ENTITY_ID, id)).sort(Sorts.ascending("_id"))
                .into(new ArrayList<>());
        if (entityDoc != null) {
            return Optional.of(live(id, entityDoc, meta, docs));
        }
        return Optional.ofNullable(tombstone(id, meta, docs));
    }

    private Snapshot<T> live(String id, BsonDocument entityDoc, BsonDocument meta, List<BsonDocument> docs) {
        long field = versionField(id, entityDoc);
        T state;
        try {
            state = codec.decode(entityDoc);
        } catch (RuntimeException e) {
            throw new Undecodable(e);
        }
        return new Snapshot<>(id, baseOf(meta) + field, state, latestAt(docs), pendingOf(docs));
    }

    /** A stored document the store cannot read: its codec fails on it, or it lacks its version field. */
    static final class Undecodable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Undecodable(RuntimeException cause) {
            super(cause.getMessage(), cause);
        }

        RuntimeException failure() {
            return (RuntimeException) getCause();
        }
    }

    /** The entity is gone: a tombstone while a delete is recorded and not yet acknowledged by every sink. */
    private Snapshot<T> tombstone(String id, BsonDocument meta, List<BsonDocument> docs) {
        long version = meta != null && meta.containsKey(TOMB) ? meta.getNumber(TOMB).longValue() : 0;
        Instant at = null;
        for (BsonDocument d : docs) {
            if (Operation.DELETE.name().equals(d.getString(OP).getValue())) {
                version = Math.max(version, d.getNumber(V).longValue());
                at = Meta.instant(d.get(AT));
            }
        }
        if (version == 0) {
            return null;
        }
        Map<String, Intent> pending = pendingOf(docs);
        return new Snapshot<>(id, version, null, at != null ? at : latestAt(docs), pending);
    }

    /** @return the time of the newest recorded write, or now when none is recorded (the document has no write time) */
    private Instant latestAt(List<BsonDocument> docs) {
        Instant at = null;
        for (BsonDocument d : docs) {
            Instant i = Meta.instant(d.get(AT));
            at = at == null || i.isAfter(at) ? i : at;
        }
        return at != null ? at : clock.instant();
    }

    /**
     * One intent per sink, carrying its document id as the ref: the newest write's among those whose
     * version is known (or settled), else the newest still unknown. A save's intent whose version is not
     * known yet (the caller's write may still be on its way) is not due before it settles, so no
     * delivery of an older version is ever taken for it.
     */
    private Map<String, Intent> pendingOf(List<BsonDocument> docs) {
        Instant now = clock.instant();
        Map<String, Intent> known = new TreeMap<>();
        Map<String, Intent> unknown = new TreeMap<>();
        for (BsonDocument d : docs) {
            long v = d.getNumber(V).longValue();
            Instant settles = v == 0 && Operation.UPSERT.name().equals(d.getString(OP).getValue())
                    ? settledAt(d) : null;
            boolean young = settles != null && now.isBefore(settles);
            for (Map.Entry<String, BsonValue> e : d.getDocument(PENDING).entrySet()) {
                BsonDocument p = e.getValue().asDocument();
                Instant due = Meta.instant(p.get(DUE));
                if (young && due.isBefore(settles)) {
                    due = settles;
                }
                (young ? unknown : known).put(e.getKey(), new Intent(e.getKey(), v, due,
                        p.getNumber("attempts").intValue(), Meta.string(p, "firstError"), Meta.string(p, "lastError"),
                        Meta.string(d, CORR), Meta.string(d, KEY), d.getObjectId("_id").getValue().toHexString()));
            }
        }
        unknown.forEach(known::putIfAbsent);
        return known;
    }

    @Override
    public List<Snapshot<T>> scan(String afterExclusive, int limit) {
        checkLimit(limit);
        TreeSet<String> candidates = new TreeSet<>();
        Bson after = afterExclusive == null ? new BsonDocument() : Filters.gt("_id", ids.toBson(afterExclusive));
        for (BsonDocument d : entities.find(after).projection(new BsonDocument("_id", new BsonInt32(1)))
                .sort(Sorts.ascending("_id")).limit(limit)) {
            candidates.add(ids.fromBson(d.get("_id")));
        }
        // tombstones: entities whose delete is recorded and not yet acknowledged everywhere
        Bson tombAfter = afterExclusive == null ? Filters.exists(TOMB) : Filters.and(Filters.exists(TOMB),
                Filters.gt("_id", afterExclusive));
        for (BsonDocument d : intents.find(tombAfter).sort(Sorts.ascending("_id")).limit(limit)) {
            candidates.add(d.getString("_id").getValue());
        }
        Bson deletes = afterExclusive == null ? Filters.eq(OP, Operation.DELETE.name())
                : Filters.and(Filters.eq(OP, Operation.DELETE.name()), Filters.gt(ENTITY_ID, afterExclusive));
        for (BsonDocument d : intents.find(deletes).sort(Sorts.ascending(ENTITY_ID)).limit(limit)) {
            candidates.add(d.getString(ENTITY_ID).getValue());
        }
        List<Snapshot<T>> out = new ArrayList<>();
        for (String id : candidates) {
            if (out.size() >= limit) {
                break;
            }
            snapshotOrUnreadable(id).ifPresent(out::add);
        }
        return out;
    }

    @Override
    public long pendingCount() {
        return intents.distinct(ENTITY_ID, Filters.exists(DUE), String.class).into(new ArrayList<>()).size();
    }

    @Override
    public Optional<Instant> oldestDue() {
        BsonDocument d = intents.find(Filters.exists(DUE)).sort(Sorts.ascending(DUE)).limit(1).first();
        return Optional.ofNullable(d).map(x -> Meta.instant(x.get(DUE)));
    }

    // ------------------------------------------------------------------ acknowledgements

    /**
     * One command for the whole batch, with no read before it. A delivery acknowledges only what it delivered:
     * the sink's intents of known versions at or below the acknowledged one; one of unknown version (the
     * caller's write may still be on its way, or it has not been read back) waits until the writer or recovery
     * learns it. A dead-lettered intent whose version can no longer be learned (settled, yet unknown: its
     * document cannot be read) goes by its ref; one that is still young may belong to a newer save on its way,
     * which no dead letter of an older version may take with it. The batch is ordered so that its last write,
     * which deletes the intent documents left with nothing pending, runs after the removals. A due time left on a
     * document that still has other sinks' intents may be earlier than theirs, never later; {@link #claimDue}
     * sets it right when it finds nothing due.
     */
    @Override
    public void acknowledge(Collection<Ack> acks) {
        Map<String, List<Ack>> byId = byEntity(acks);
        Bson settled = Filters.lte(AT, Meta.date(clock.instant().minus(settleTime)));
        List<WriteModel<BsonDocument>> models = new ArrayList<>();
        for (Map.Entry<String, List<Ack>> e : byId.entrySet()) {
            for (Ack a : e.getValue()) {
                String intent = PENDING + "." + a.sink();
                Bson removal = Updates.combine(Updates.unset(intent), Updates.inc(REV, 1L));
                models.add(new UpdateManyModel<>(Filters.and(Filters.eq(ENTITY_ID, e.getKey()), Filters.gt(V, 0L),
                        Filters.lte(V, a.version()), Filters.exists(intent)), removal));
                if (a.deadLettered() && a.ref() != null && ObjectId.isValid(a.ref())) {
                    models.add(new UpdateOneModel<>(Filters.and(Filters.eq("_id", new ObjectId(a.ref())),
                            Filters.eq(ENTITY_ID, e.getKey()), Filters.eq(V, 0L), settled, Filters.exists(intent)),
                            removal));
                }
            }
        }
        if (models.isEmpty()) {
            return;
        }
        // exactly the documents an acknowledgement may have emptied: known versions, or settled ones
        models.add(new DeleteManyModel<>(Filters.and(Filters.in(ENTITY_ID, new ArrayList<>(byId.keySet())),
                Filters.eq(PENDING, new BsonDocument()), Filters.or(Filters.gt(V, 0L), settled))));
        intents.bulkWrite(models, new BulkWriteOptions().ordered(true));
    }

    /**
     * Sets right the due time of an entity's intent documents of known versions that is earlier than every
     * intent they still hold (an acknowledgement removed the earliest), so that the entity is not claimed
     * again before anything in it is due.
     */
    private void correctEarlyDue(String id, Instant now) {
        List<WriteModel<BsonDocument>> fixes = new ArrayList<>();
        for (BsonDocument d : intents.find(Filters.and(Filters.eq(ENTITY_ID, id), Filters.gt(V, 0L),
                Filters.lte(DUE, Meta.date(now))))) {
            Instant earliest = earliestDue(d.getDocument(PENDING));
            if (earliest != null && !earliest.isAfter(now)) {
                continue; // something in it is due: its time is right
            }
            fixes.add(new UpdateOneModel<>(Filters.and(Filters.eq("_id", d.get("_id")), Filters.eq(REV, d.getNumber(REV))),
                    pendingUpdate(d.getDocument(PENDING))));
        }
        if (!fixes.isEmpty()) {
            intents.bulkWrite(fixes, new BulkWriteOptions().ordered(false));
        }
    }

    /** @return when an intent document's save, if its caller's write has not landed by then, never will */
    private Instant settledAt(BsonDocument intentDoc) {
        return Meta.instant(intentDoc.get(AT)).plus(settleTime);
    }

    /** @return the earliest due time of an intent document's pending sinks, or null when none is pending */
    private static Instant earliestDue(BsonDocument pending) {
        Instant due = null;
        for (BsonValue p : pending.values()) {
            Instant d = Meta.instant(p.asDocument().get(DUE));
            due = due == null || d.isBefore(due) ? d : due;
        }
        return due;
    }

    private static Bson pendingUpdate(BsonDocument pending) {
        Instant due = earliestDue(pending);
        return Updates.combine(Updates.set(PENDING, pending),
                due == null ? Updates.unset(DUE) : Updates.set(DUE, Meta.date(due)), Updates.inc(REV, 1L));
    }

    // ------------------------------------------------------------------ recovery

    @Override
    public List<Snapshot<T>> claimDue(Instant now, int limit, String owner, Duration lease) {
        checkClaim(now, limit, owner, lease);
        // candidates are entities, earliest due first: one entity's many intents never crowd out the others
        List<String> candidates = new ArrayList<>();
        for (BsonDocument d : intents.aggregate(List.of(Aggregates.match(Filters.lte(DUE, Meta.date(now))),
                Aggregates.group("$" + ENTITY_ID, Accumulators.min(DUE, "$" + DUE), Accumulators.min("first", "$_id")),
                Aggregates.sort(Sorts.ascending(DUE, "first")), Aggregates.limit(limit * 4)))) {
            candidates.add(d.getString("_id").getValue());
        }
        List<Snapshot<T>> claimed = new ArrayList<>();
        for (String id : candidates) {
            if (claimed.size() >= limit) {
                break;
            }
            if (!lease(id, now, owner, lease)) {
                continue;
            }
            settleUnknownVersions(id, now);
            Optional<Snapshot<T>> s;
            try {
                s = readOrUndecodable(id);
            } catch (Undecodable e) {
                LOG.warn("{}/{} cannot be decoded ({}); its intents go to the dead-letter store", entityName, id,
                        e.failure().toString());
                claimed.add(unreadable(id, e.failure()));
                continue;
            } catch (MongoEntityBusyException e) {
                release(id, owner); // a write holds it: a later pass sees what it leaves
                continue;
            }
            if (s.isPresent() && !s.get().deleted() && dropFailedDeletes(id, s.get().version(), now)) {
                try {
                    s = snapshotOrUnreadable(id);
                } catch (MongoEntityBusyException e) {
                    release(id, owner);
                    continue;
                }
            }
            if (s.isEmpty()) {
                dropOrphans(id, now);
            }
            if (s.isEmpty() || s.get().pending().values().stream().allMatch(i -> i.dueAt().isAfter(now))) {
                if (s.isPresent()) {
                    correctEarlyDue(id, now);
                }
                release(id, owner);
                continue;
            }
            claimed.add(s.get());
        }
        return claimed;
    }

    /**
     * Saves whose version is still unknown (the caller's write may be on its way, or its writer stopped
     * before reading it back): once settled, their version is the one the entity holds now (an absent
     * entity's are dropped by {@link #dropOrphans}); until then they are not due again before they settle.
     */
    private void settleUnknownVersions(String id, Instant now) {
        Bson unknownSaves = Filters.and(Filters.eq(ENTITY_ID, id), Filters.eq(OP, Operation.UPSERT.name()),
                Filters.eq(V, 0L));
        List<BsonDocument> unknown = intents.find(unknownSaves).into(new ArrayList<>());
        if (unknown.isEmpty()) {
            return;
        }
        Long current = null;
        for (BsonDocument d : unknown) {
            Instant settles = settledAt(d);
            Bson same = Filters.and(Filters.eq("_id", d.get("_id")), Filters.eq(V, 0L));
            if (now.isBefore(settles)) {
                intents.updateOne(same, Updates.set(DUE, Meta.date(settles)));
                continue;
            }
            if (current == null) {
                Held record;
                try {
                    // a document below what the store gave it has its base moved first (its save's command to do so
                    // was lost, or it never came), so that its version is one the sinks do not hold yet
                    record = recorded(id, readHeld(id));
                } catch (MongoEntityBusyException e) {
                    return; // a write holds the entity: settled on a later pass
                }
                Snapshot<T> held;
                try {
                    held = record.entity() != null ? live(id, record.entity(), record.meta(), List.of())
                            : tombstone(id, record.meta(), List.of());
                } catch (Undecodable e) {
                    return; // nothing to learn from it: the claim dead-letters its intents
                }
                if (held == null) {
                    return; // the entity never existed: dropOrphans drops these
                }
                // the save landed (and is in what the entity holds now, a later save or a delete) or never will
                current = held.version();
            }
            intents.updateOne(same, Updates.combine(Updates.set(V, current), Updates.inc(REV, 1L)));
        }
    }

    /** @return the entity's snapshot without its state, which the codec cannot decode (its version and intents still count) */
    private Snapshot<T> unreadable(String id, RuntimeException failure) {
        Held held = readHeld(id);
        BsonDocument entityDoc = held.entity();
        BsonDocument meta = held.meta();
        List<BsonDocument> docs = intents.find(Filters.eq(ENTITY_ID, id)).sort(Sorts.ascending("_id"))
                .into(new ArrayList<>());
        BsonValue field = entityDoc == null ? null : entityDoc.get(versionField);
        long base = baseOf(meta);
        // without a readable version field the base is the best bound known (the dead letter's replay reads the
        // document as it is then, whatever version it records)
        long version = entityDoc == null ? 0 : base + (field != null && field.isNumber() ? field.asNumber().longValue() : 0);
        return Snapshot.unreadable(id, version, latestAt(docs), pendingOf(docs), failure);
    }

    /** Takes the entity's lease if it is free or expired (checked in the query, never by a TTL index). */
    private boolean lease(String id, Instant now, String owner, Duration lease) {
        try {
            intents.findOneAndUpdate(Filters.and(Filters.eq("_id", new BsonString(id)),
                            Filters.or(Filters.exists(LEASE_UNTIL, false), Filters.lte(LEASE_UNTIL, Meta.date(now)))),
                    Updates.combine(Updates.set(LEASE_OWNER, owner), Updates.set(LEASE_UNTIL, Meta.date(now.plus(lease)))),
                    new FindOneAndUpdateOptions().upsert(true));
            return true;
        } catch (RuntimeException e) {
            if (isDuplicateKey(e)) {
                return false; // someone else holds a live lease
            }
            if (classifier().classify(e) != ErrorKind.UNKNOWN_OUTCOME) {
                throw e;
            }
            // the owner names one claim: whether the lease landed is read back, so that a lost reply never leaves
            // the entity leased to nobody until the lease runs out
            LOG.warn("outcome of the lease of {}/{} unknown ({}); reading it back", entityName, id, e.toString());
            BsonDocument held;
            try {
                held = intents.find(Filters.and(Filters.eq("_id", new BsonString(id)), Filters.eq(LEASE_OWNER, owner),
                        Filters.eq(LEASE_UNTIL, Meta.date(now.plus(lease))))).first();
            } catch (RuntimeException again) {
                again.addSuppressed(e);
                throw again;
            }
            return held != null;
        }
    }

    /** Save intents of an entity that does not exist: the caller's save never happened; nothing to deliver. */
    private void dropOrphans(String id, Instant now) {
        // an intent younger than the settle time may belong to a caller's save still on its way
        long n = intents.deleteMany(Filters.and(Filters.eq(ENTITY_ID, id), Filters.eq(OP, Operation.UPSERT.name()),
                Filters.lte(DUE, Meta.date(now)), Filters.lte(AT, Meta.date(now.minus(settleTime))))).getDeletedCount();
        if (n > 0) {
            LOG.info("dropped {} intent(s) of {}/{}: the entity does not exist, so the save never took effect", n,
                    entityName, id);
        }
    }

    /**
     * Delete intents past their due time whose entity still exists below the delete's version: the
     * caller's delete failed, so there is no delete to deliver.
     */
    private boolean dropFailedDeletes(String id, long liveVersion, Instant now) {
        long n = intents.deleteMany(Filters.and(Filters.eq(ENTITY_ID, id), Filters.eq(OP, Operation.DELETE.name()),
                Filters.gt(V, liveVersion), Filters.lte(DUE, Meta.date(now)),
                Filters.lte(AT, Meta.date(now.minus(settleTime))))).getDeletedCount();
        if (n > 0) {
            LOG.info("dropped {} delete intent(s) of {}/{}: the entity still exists, so the delete never took effect",
                    n, entityName, id);
        }
        return n > 0;
    }

    @Override
    public void reschedule(String id, Collection<Intent> updated) {
        Objects.requireNonNull(updated, "updated");
        for (Intent u : updated) {
            Optional<String> ref = u.ref();
            if (ref.isEmpty() || !ObjectId.isValid(ref.get())) {
                continue;
            }
            ObjectId own = new ObjectId(ref.get());
            BsonDocument p = new BsonDocument(DUE, Meta.date(u.dueAt())).append("attempts", new BsonInt32(u.attempts()));
            u.firstError().ifPresent(s -> p.append("firstError", new BsonString(s)));
            u.lastError().ifPresent(s -> p.append("lastError", new BsonString(s)));
            // the intent itself, and every older one of the same sink that the same delivery would settle: were
            // they left due, the entity would be claimed again and again for nothing, ahead of every other
            for (BsonDocument d : intents.find(Filters.and(Filters.eq(ENTITY_ID, id),
                    Filters.exists(PENDING + "." + u.sink()))).into(new ArrayList<>())) {
                long v = d.getNumber(V).longValue();
                boolean itself = d.getObjectId("_id").getValue().equals(own);
                if (itself ? v == u.version() : v > 0 && v <= u.version()) {
                    reschedule(d, u.sink(), p);
                }
            }
        }
    }

    /** Sets one sink's schedule on one intent document, unless the document is gone or that sink settled meanwhile. */
    private void reschedule(BsonDocument d, String sink, BsonDocument schedule) {
        for (int race = 0; race < MAX_RACES && d != null && d.getDocument(PENDING).containsKey(sink); race++) {
            BsonDocument pending = d.getDocument(PENDING).clone();
            pending.put(sink, schedule);
            if (intents.updateOne(Filters.and(Filters.eq("_id", d.get("_id")), Filters.eq(REV, d.getNumber(REV))),
                    pendingUpdate(pending)).getMatchedCount() == 1) {
                return;
            }
            d = intents.find(Filters.eq("_id", d.get("_id"))).first();
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
        intents.updateMany(Filters.and(Filters.in("_id", new ArrayList<>(idList)), Filters.eq(LEASE_OWNER, owner)),
                Updates.combine(Updates.unset(LEASE_OWNER), Updates.unset(LEASE_UNTIL)));
    }

    @Override
    public String toString() {
        return "MongoWriteAheadStore{" + collection.getNamespace() + ", intents in " + intents.getNamespace() + "}";
    }
}
