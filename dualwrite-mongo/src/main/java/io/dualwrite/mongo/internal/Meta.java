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

import io.dualwrite.Operation;
import io.dualwrite.mongo.DualWriteFilters;
import io.dualwrite.spi.Intent;
import io.dualwrite.spi.RequestKey;
import org.bson.BsonArray;
import org.bson.BsonBoolean;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonString;
import org.bson.BsonValue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The metadata of one managed document (the {@value DualWriteFilters#FIELD} field), parsed for
 * reading and changing in memory before a conditional write. Not thread-safe (one per operation).
 *
 * <pre>
 * _dw: { v: version, rev: revision (+1 on every change of the document but an acknowledgement, which only
 *             removes intents: a write that carries an intent over checks that it is still there),
 *        deleted: true (tombstones only), at: commit time,
 *        w: tokens of the last commits, oldest first (the last one committed v, the one before v - 1, …),
 *        wcut: true once older tokens were dropped,
 *        w0: the token of the insert that created the document (tells a lost insert that did not land),
 *        due: earliest due time of the pending intents (absent when none),
 *        pending: { &lt;sink&gt;: { v, due, attempts, firstError, lastError, corr, key } },
 *        leaseOwner, leaseUntil, claim: the token of the claim that took the lease, keys: [ { k, v, op, at } ] }
 * </pre>
 */
public final class Meta {
    static final String V = "v";
    static final String REV = "rev";
    static final String DELETED = "deleted";
    static final String AT = "at";
    /** The single last-commit token of documents written before the token list existed. */
    static final String LEGACY_WRITE = "write";
    static final String WRITES = "w";
    static final String WRITES_CUT = "wcut";
    /** The token of the insert that created the document (absent on a document adopted or written before it existed). */
    static final String CREATED_BY = "w0";
    /** Commit tokens a document keeps: a lost reply is resolved while fewer writes than this came on top of it. */
    static final int MAX_WRITES = 8;
    static final String DUE = "due";
    static final String PENDING = "pending";
    static final String LEASE_OWNER = "leaseOwner";
    static final String LEASE_UNTIL = "leaseUntil";
    /** The token of the claim that took the lease: a claim of many documents at once learns which it got. */
    static final String CLAIM = "claim";
    static final String KEYS = "keys";

    /** Path of the revision, for conditional writes. */
    public static final String REV_PATH = DualWriteFilters.FIELD + "." + REV;
    /** Path of the lease expiry. */
    public static final String LEASE_UNTIL_PATH = DualWriteFilters.FIELD + "." + LEASE_UNTIL;
    /** Path of the lease owner. */
    public static final String LEASE_OWNER_PATH = DualWriteFilters.FIELD + "." + LEASE_OWNER;
    /** Path of the claim token. */
    public static final String CLAIM_PATH = DualWriteFilters.FIELD + "." + CLAIM;
    /** Path of the tokens of the last commits. */
    public static final String WRITES_PATH = DualWriteFilters.FIELD + "." + WRITES;
    /** Path of the single last-commit token of documents written before the token list existed. */
    static final String LEGACY_WRITE_PATH = DualWriteFilters.FIELD + "." + LEGACY_WRITE;
    /** Path of the pending intents. */
    public static final String PENDING_PATH = DualWriteFilters.FIELD + "." + PENDING;
    /** Path of the request keys. */
    public static final String KEYS_PATH = DualWriteFilters.FIELD + "." + KEYS + ".k";

    long version;
    long rev;
    boolean deleted;
    Instant at;
    /** Tokens of the last commits, oldest first: the last committed {@link #version}, each one before it one less. */
    final List<String> writes = new ArrayList<>();
    /** True when the one token in {@link #writes} is the single last-commit token of the older layout. */
    boolean legacyWrite;
    /** True when tokens older than {@link #writes} were dropped (or never kept). */
    boolean writesCut;
    /** The token of the insert that created the document, or null. */
    String createdBy;
    final TreeMap<String, Intent> pending = new TreeMap<>();
    String leaseOwner;
    Instant leaseUntil;
    String claim;
    final List<RequestKey> keys = new ArrayList<>();

    /**
     * @param doc a stored document
     * @return its metadata, or null when the document is not managed yet
     */
    static Meta of(BsonDocument doc) {
        BsonValue raw = doc.get(DualWriteFilters.FIELD);
        if (raw == null || !raw.isDocument()) {
            return null;
        }
        BsonDocument m = raw.asDocument();
        Meta meta = new Meta();
        meta.version = m.getNumber(V, new BsonInt64(0)).longValue();
        meta.rev = m.getNumber(REV, new BsonInt64(0)).longValue();
        meta.deleted = m.getBoolean(DELETED, BsonBoolean.FALSE).getValue();
        meta.at = m.containsKey(AT) ? instant(m.get(AT)) : Instant.EPOCH;
        if (m.containsKey(WRITES)) {
            m.getArray(WRITES).forEach(t -> meta.writes.add(t.asString().getValue()));
            meta.writesCut = m.getBoolean(WRITES_CUT, BsonBoolean.FALSE).getValue();
        } else {
            if (m.containsKey(LEGACY_WRITE)) {
                meta.writes.add(m.getString(LEGACY_WRITE).getValue());
                meta.legacyWrite = true;
            }
            meta.writesCut = true;
        }
        if (m.containsKey(PENDING)) {
            for (Map.Entry<String, BsonValue> e : m.getDocument(PENDING).entrySet()) {
                meta.pending.put(e.getKey(), intent(e.getKey(), e.getValue().asDocument()));
            }
        }
        meta.createdBy = string(m, CREATED_BY);
        meta.leaseOwner = m.containsKey(LEASE_OWNER) ? m.getString(LEASE_OWNER).getValue() : null;
        meta.leaseUntil = m.containsKey(LEASE_UNTIL) ? instant(m.get(LEASE_UNTIL)) : null;
        meta.claim = string(m, CLAIM);
        if (m.containsKey(KEYS)) {
            for (BsonValue k : m.getArray(KEYS)) {
                BsonDocument kd = k.asDocument();
                meta.keys.add(new RequestKey(kd.getString("k").getValue(), kd.getNumber(V).longValue(),
                        Operation.valueOf(kd.getString("op").getValue()), instant(kd.get(AT))));
            }
        }
        return meta;
    }

    static Intent intent(String sink, BsonDocument d) {
        return new Intent(sink, d.getNumber(V).longValue(), instant(d.get(DUE)),
                d.getNumber("attempts", new BsonInt32(0)).intValue(), string(d, "firstError"), string(d, "lastError"),
                string(d, "corr"), string(d, "key"), null);
    }

    static BsonDocument intentDoc(Intent i) {
        BsonDocument d = new BsonDocument(V, new BsonInt64(i.version())).append(DUE, date(i.dueAt()))
                .append("attempts", new BsonInt32(i.attempts()));
        i.firstError().ifPresent(s -> d.append("firstError", new BsonString(bounded(s))));
        i.lastError().ifPresent(s -> d.append("lastError", new BsonString(bounded(s))));
        i.correlationId().ifPresent(s -> d.append("corr", new BsonString(s)));
        i.idempotencyKey().ifPresent(s -> d.append("key", new BsonString(s)));
        return d;
    }

    /** The most characters of a failure's description an intent keeps. */
    static final int ERROR_CHARS = 1000;
    /** The largest document MongoDB stores. */
    static final int MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

    /** @return the description, cut to {@link #ERROR_CHARS} */
    static String bounded(String error) {
        return error.length() <= ERROR_CHARS ? error : error.substring(0, ERROR_CHARS - 1) + "…";
    }

    /**
     * @param pendingSinks how many sinks have intents in the document
     * @return the most bytes the store may add to a document after committing it: a recovery lease, and
     *         the first and last error of a failed delivery for each sink (at most three bytes a character)
     */
    static int growthBound(int pendingSinks) {
        return 256 + pendingSinks * 2 * (ERROR_CHARS * 3 + 32);
    }

    static String string(BsonDocument d, String key) {
        BsonValue v = d.get(key);
        return v == null || v.isNull() ? null : v.asString().getValue();
    }

    static Instant instant(BsonValue v) {
        return Instant.ofEpochMilli(v.asDateTime().getValue());
    }

    static BsonDateTime date(Instant i) {
        return new BsonDateTime(i.toEpochMilli());
    }

    /**
     * Records a commit's token, dropping the oldest beyond {@link #MAX_WRITES}.
     *
     * @param token the commit's token
     */
    void addWrite(String token) {
        writes.add(token);
        while (writes.size() > MAX_WRITES) {
            writes.remove(0);
            writesCut = true;
        }
    }

    /**
     * @param token a commit's token
     * @return the version that commit made, or -1 when the document does not remember it
     */
    long versionOfWrite(String token) {
        int i = writes.lastIndexOf(token);
        return i < 0 ? -1 : version - (writes.size() - 1 - i);
    }

    /**
     * @param version a version
     * @return true when the document remembers the token of every commit from that version on
     */
    boolean remembersWritesFrom(long version) {
        return !writesCut || (!writes.isEmpty() && version >= this.version - (writes.size() - 1));
    }

    /**
     * @param token an insert's token
     * @return true when the document was certainly not created by that insert: another insert created it (an insert
     *         lands only as the first commit of a document, and a document keeps its creator's token)
     */
    boolean createdByAnotherInsertThan(String token) {
        return createdBy != null && !createdBy.equals(token);
    }

    /** @return a new commit token: 64 random bits, short enough to keep several per document */
    static String newToken() {
        byte[] b = new byte[8];
        java.util.concurrent.ThreadLocalRandom.current().nextBytes(b);
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** @return the earliest due time of the pending intents, or null */
    Instant due() {
        return Intent.earliestDue(pending.values());
    }

    /** @return the pending intents as a BSON sub-document */
    BsonDocument pendingDoc() {
        BsonDocument p = new BsonDocument();
        pending.forEach((sink, i) -> p.append(sink, intentDoc(i)));
        return p;
    }

    /** @return the whole metadata field */
    BsonDocument toBson() {
        BsonDocument m = new BsonDocument(V, new BsonInt64(version)).append(REV, new BsonInt64(rev));
        if (deleted) {
            m.append(DELETED, BsonBoolean.TRUE);
        }
        m.append(AT, date(at));
        BsonArray ws = new BsonArray();
        writes.forEach(t -> ws.add(new BsonString(t)));
        m.append(WRITES, ws);
        if (writesCut) {
            m.append(WRITES_CUT, BsonBoolean.TRUE);
        }
        if (createdBy != null) {
            m.append(CREATED_BY, new BsonString(createdBy));
        }
        Instant due = due();
        if (due != null) {
            m.append(DUE, date(due));
        }
        m.append(PENDING, pendingDoc());
        if (leaseOwner != null) {
            m.append(LEASE_OWNER, new BsonString(leaseOwner)).append(LEASE_UNTIL, date(leaseUntil));
            if (claim != null) {
                m.append(CLAIM, new BsonString(claim));
            }
        }
        BsonArray ks = new BsonArray();
        for (RequestKey k : keys) {
            ks.add(new BsonDocument("k", new BsonString(k.key())).append(V, new BsonInt64(k.version()))
                    .append("op", new BsonString(k.operation().name())).append(AT, date(k.at())));
        }
        m.append(KEYS, ks);
        return m;
    }
}
