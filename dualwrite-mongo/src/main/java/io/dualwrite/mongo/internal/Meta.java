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
 * _dw: { v: version, rev: revision (+1 on every change of the document),
 *        deleted: true (tombstones only), at: commit time, write: token of the last commit,
 *        due: earliest due time of the pending intents (absent when none),
 *        pending: { &lt;sink&gt;: { v, due, attempts, firstError, lastError, corr, key } },
 *        leaseOwner, leaseUntil, keys: [ { k, v, op, at } ] }
 * </pre>
 */
public final class Meta {
    static final String V = "v";
    static final String REV = "rev";
    static final String DELETED = "deleted";
    static final String AT = "at";
    static final String WRITE = "write";
    static final String DUE = "due";
    static final String PENDING = "pending";
    static final String LEASE_OWNER = "leaseOwner";
    static final String LEASE_UNTIL = "leaseUntil";
    static final String KEYS = "keys";

    /** Path of the revision, for conditional writes. */
    public static final String REV_PATH = DualWriteFilters.FIELD + "." + REV;
    /** Path of the lease expiry. */
    public static final String LEASE_UNTIL_PATH = DualWriteFilters.FIELD + "." + LEASE_UNTIL;
    /** Path of the lease owner. */
    public static final String LEASE_OWNER_PATH = DualWriteFilters.FIELD + "." + LEASE_OWNER;
    /** Path of the request keys. */
    public static final String KEYS_PATH = DualWriteFilters.FIELD + "." + KEYS + ".k";

    long version;
    long rev;
    boolean deleted;
    Instant at;
    String write;
    final TreeMap<String, Intent> pending = new TreeMap<>();
    String leaseOwner;
    Instant leaseUntil;
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
        meta.write = m.containsKey(WRITE) ? m.getString(WRITE).getValue() : null;
        if (m.containsKey(PENDING)) {
            for (Map.Entry<String, BsonValue> e : m.getDocument(PENDING).entrySet()) {
                meta.pending.put(e.getKey(), intent(e.getKey(), e.getValue().asDocument()));
            }
        }
        meta.leaseOwner = m.containsKey(LEASE_OWNER) ? m.getString(LEASE_OWNER).getValue() : null;
        meta.leaseUntil = m.containsKey(LEASE_UNTIL) ? instant(m.get(LEASE_UNTIL)) : null;
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
        i.firstError().ifPresent(s -> d.append("firstError", new BsonString(s)));
        i.lastError().ifPresent(s -> d.append("lastError", new BsonString(s)));
        i.correlationId().ifPresent(s -> d.append("corr", new BsonString(s)));
        i.idempotencyKey().ifPresent(s -> d.append("key", new BsonString(s)));
        return d;
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
        if (write != null) {
            m.append(WRITE, new BsonString(write));
        }
        Instant due = due();
        if (due != null) {
            m.append(DUE, date(due));
        }
        m.append(PENDING, pendingDoc());
        if (leaseOwner != null) {
            m.append(LEASE_OWNER, new BsonString(leaseOwner)).append(LEASE_UNTIL, date(leaseUntil));
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
