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
package io.dualwrite.redis;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dualwrite.json.Jackson2Json;
import io.dualwrite.json.Json;
import io.dualwrite.Change;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import io.dualwrite.internal.Args;
import io.dualwrite.redis.internal.VersionGuardScript;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.ContentDigest;
import io.dualwrite.spi.ContentDigestingSink;
import io.dualwrite.spi.MappingSink;
import io.dualwrite.spi.SinkException;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;

/**
 * A Redis cache of entity state, kept in step with the primary.
 *
 * <p>Each entity is a hash at the key its {@link RedisKeyLayout} gives, with the fields
 * {@code version} and {@code state} (the entity as JSON), or {@code version} and
 * {@code deleted=1} for a tombstone. Every write runs one Lua script on the server that applies the
 * change only if its version is newer than the stored one, so concurrent, duplicate and late
 * deliveries can never move the cache backwards. A delete leaves a small tombstone that expires
 * after {@link Builder#tombstoneTtl(Duration)}; live entries may expire too
 * ({@link Builder#entryTtl(Duration)}).
 *
 * <pre>{@code
 * StatefulRedisConnection<String, String> redis = RedisClient.create("redis://127.0.0.1:6379").connect();
 * RedisSink<Product> cache = RedisSink.builder("product", Product.class).connection(redis)
 *         .keyLayout(RedisKeyLayout.of("shop:{type}:{id}"))
 *         .build();
 * }</pre>
 *
 * <p><b>Mapping, then I/O.</b> {@link #map} is the mapping step, without I/O: it checks the
 * change's entity type, writes the state as JSON with the sink's {@link Json} mapping (Jackson 2 or 3) and makes the
 * entity's key and the script's arguments. A failure there is the entity's own: the coordinator
 * dead-letters it at once as {@link io.dualwrite.ErrorKind#PERMANENT}, never retries it and never
 * counts it against the sink's circuit breaker. {@link #send} and {@link #sendAll} are the I/O: they
 * run the script (pipelined for a batch).
 *
 * <p><b>Content digests</b> ({@link ContentDigestingSink}) are those of the {@code state} field's
 * JSON in canonical form ({@link ContentDigest#ofJson(String)}), so a value written by hand with its
 * fields in another order or other whitespace is not drift, while any changed value is; a
 * {@code state} that is not JSON at all digests as its raw text, which never equals what the sink
 * writes.
 *
 * <p>The sink serves one entity type and does not own the connection: the caller closes it.
 * Thread-safe (a Lettuce connection is shared safely between threads).
 *
 * @param <T> the entity type
 */
public final class RedisSink<T> implements MappingSink<T, VersionGuardScript.Call>, ContentDigestingSink<T> {
    /** Default expiry of a tombstone: long enough for any late delivery to find it. */
    public static final Duration DEFAULT_TOMBSTONE_TTL = Duration.ofDays(7);
    /** Default expiry of a live entry: none. */
    public static final Duration DEFAULT_ENTRY_TTL = Duration.ZERO;
    /** Default number of keys asked for per SCAN call. */
    public static final int DEFAULT_SCAN_COUNT = 1000;

    private static final Logger LOG = LoggerFactory.getLogger(RedisSink.class);

    private final StatefulRedisConnection<String, String> connection;
    private final String entityType;
    private final Class<T> type;
    private final Json json;
    private final RedisKeyLayout layout;
    private final long tombstoneTtlMillis;
    private final long entryTtlMillis;
    private final int scanCount;

    private RedisSink(Builder<T> b) {
        this.connection = b.connection;
        this.entityType = b.entityType;
        this.json = b.json != null ? b.json : Json.defaults();
        this.type = b.type;
        this.layout = b.layout;
        this.tombstoneTtlMillis = b.tombstoneTtl.toMillis();
        this.entryTtlMillis = b.entryTtl.toMillis();
        this.scanCount = b.scanCount;
    }

    /**
     * Starts a Redis sink. Every sink of the library is built the same way:
     * {@code RedisSink.builder(entityType, entityClass)} names what it follows, the setters say where it
     * writes, and {@code build()} checks that nothing required is missing.
     *
     * @param entityType  the entity type this sink caches: the writer's, or the writer refuses the sink at build
     * @param entityClass the entity class, to read cached entries back
     * @param <T>         the entity type
     * @return a builder; {@link Builder#connection} is required
     * @throws IllegalArgumentException if the entity type is blank
     */
    public static <T> Builder<T> builder(String entityType, Class<T> entityClass) {
        return new Builder<>(entityType, entityClass);
    }

    /** @return the entity type this sink was built for: a writer of another type refuses it */
    @Override
    public Optional<String> boundEntityType() {
        return Optional.of(entityType);
    }

    /**
     * Maps a change to its run of the version guard, without I/O.
     *
     * @param change the change
     * @return the entity's key and the script's arguments (the state as JSON for an upsert)
     * @throws Exception an {@link IllegalArgumentException} for a change of another entity type, or
     *                   what Jackson throws when it cannot write the state
     */
    @Override
    public VersionGuardScript.Call map(Change<T> change) throws Exception {
        Objects.requireNonNull(change, "change");
        Args.sameEntityType("Redis sink", entityType, change);
        String state = change.isDelete() ? "" : json.write(change.requireState());
        return VersionGuardScript.Call.of(layout.key(entityType, change.id()), change.version(), change.isDelete(),
                state, change.isDelete() ? tombstoneTtlMillis : entryTtlMillis);
    }

    /**
     * @return twice the connection's command timeout: a call is the guard script's EVALSHA and, when
     *         the server has not cached the script, its EVAL, each bounded by that timeout. A command
     *         timeout of at most half the sink's attempt timeout lets the coordinator call the sink on
     *         the delivering thread
     */
    @Override
    public java.util.Optional<java.time.Duration> callTimeout() {
        return java.util.Optional.of(connection.getTimeout().multipliedBy(2));
    }

    /**
     * Runs the version guard for one change (with EVAL when the server does not know the script).
     *
     * @param change the change
     * @param call   what {@link #map} made of it
     * @return {@link ApplyResult#APPLIED}, or {@link ApplyResult#ALREADY_CURRENT} when the cache holds
     *         this version or a newer one
     */
    @Override
    public ApplyResult send(Change<T> change, VersionGuardScript.Call call) {
        boolean applied = VersionGuardScript.run(connection.sync(), call);
        LOG.debug("redis {} {} -> {}", change.operation(), change.idempotencyKey(), applied ? "applied" : "already current");
        return applied ? ApplyResult.APPLIED : ApplyResult.ALREADY_CURRENT;
    }

    /**
     * Sends every change's script call in one pipeline and then waits for the replies, all within one
     * command timeout; the entries whose script was not cached on the server go again, with the
     * script's source, in a second pipeline within one more. So a batch of any size takes at most
     * {@link #callTimeout()}, as one change does.
     */
    @Override
    public List<BatchItem> sendAll(List<Mapped<T, VersionGuardScript.Call>> mapped) {
        Objects.requireNonNull(mapped, "mapped");
        BatchItem[] out = new BatchItem[mapped.size()];
        List<Integer> all = new ArrayList<>(mapped.size());
        for (int i = 0; i < mapped.size(); i++) {
            all.add(i);
        }
        List<Integer> noScript = pipeline(mapped, all, VersionGuardScript::send, out);
        if (!noScript.isEmpty()) {
            LOG.debug("version guard script not cached on the server; sending {} change(s) with EVAL", noScript.size());
            for (Integer i : pipeline(mapped, noScript, VersionGuardScript::sendWithSource, out)) {
                out[i] = BatchItem.failed(new IllegalStateException("the server refused the version guard script"));
            }
        }
        return List.of(out);
    }

    /**
     * Sends the script calls of the given entries in one pipeline and fills in their outcomes, waiting
     * at most one command timeout for all the replies together.
     *
     * @return the entries the server answered with NOSCRIPT (their outcome is left unset)
     */
    private List<Integer> pipeline(List<Mapped<T, VersionGuardScript.Call>> mapped, List<Integer> which,
                                   BiFunction<RedisAsyncCommands<String, String>, VersionGuardScript.Call,
                                           RedisFuture<Long>> command, BatchItem[] out) {
        RedisAsyncCommands<String, String> async = connection.async();
        List<RedisFuture<Long>> futures = new ArrayList<>(which.size());
        for (Integer i : which) {
            try {
                futures.add(command.apply(async, mapped.get(i).request()));
            } catch (RuntimeException e) {
                futures.add(null);
                out[i] = BatchItem.failed(e);
            }
        }
        long deadline = System.nanoTime() + connection.getTimeout().toNanos();
        List<Integer> noScript = new ArrayList<>();
        for (int k = 0; k < which.size(); k++) {
            int i = which.get(k);
            if (futures.get(k) == null) {
                continue;
            }
            try {
                out[i] = BatchItem.of(VersionGuardScript.applied(await(futures.get(k),
                        Math.max(0, deadline - System.nanoTime()))) ? ApplyResult.APPLIED : ApplyResult.ALREADY_CURRENT);
            } catch (RedisNoScriptException e) {
                noScript.add(i);
            } catch (Exception e) {
                out[i] = BatchItem.failed(e);
            }
        }
        return noScript;
    }

    /** @return true: a batch is two pipelines at most, each within one command timeout ({@link #callTimeout()}) */
    @Override
    public boolean appliesAllInOneCall() {
        return true;
    }

    @Override
    public ErrorClassifier classifier() {
        return RedisErrorClassifier.instance();
    }

    /** Reads the version and tombstone flag of every id in one pipeline. */
    @Override
    public Map<String, Long> versionsOf(Collection<String> ids) throws Exception {
        Objects.requireNonNull(ids, "ids");
        List<String> list = new ArrayList<>(ids);
        List<RedisFuture<List<KeyValue<String, String>>>> replies = readVersions(list);
        Map<String, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            Optional<Long> live = liveVersion(await(replies.get(i)));
            if (live.isPresent()) {
                out.put(list.get(i), live.get());
            }
        }
        return out;
    }

    /** Reads the version, tombstone flag and state of every id in one pipeline and digests the live states. */
    @Override
    public Map<String, ContentDigest> contentDigestsOf(Collection<String> ids) throws Exception {
        Objects.requireNonNull(ids, "ids");
        List<String> list = new ArrayList<>(ids);
        RedisAsyncCommands<String, String> async = connection.async();
        List<RedisFuture<List<KeyValue<String, String>>>> replies = new ArrayList<>(list.size());
        for (String id : list) {
            replies.add(async.hmget(layout.key(entityType, id), VersionGuardScript.FIELD_VERSION,
                    VersionGuardScript.FIELD_DELETED, VersionGuardScript.FIELD_STATE));
        }
        Map<String, ContentDigest> out = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            List<KeyValue<String, String>> fields = await(replies.get(i));
            if (liveVersion(fields).isPresent() && fields.size() > 2 && fields.get(2).hasValue()) {
                out.put(list.get(i), digest(fields.get(2).getValue()));
            }
        }
        return out;
    }

    /**
     * @param change an UPSERT change
     * @return the digest of the JSON {@link #map} makes of its state
     * @throws Exception an {@link IllegalArgumentException} for a DELETE or a change of another entity
     *                   type, or what Jackson throws when it cannot write the state
     */
    @Override
    public ContentDigest expectedContentDigest(Change<T> change) throws Exception {
        ContentDigestingSink.requireUpsert(change);
        return digest(map(change).stateJson());
    }

    private static ContentDigest digest(String stateJson) {
        try {
            return ContentDigest.ofJson(stateJson);
        } catch (IllegalArgumentException notJson) {
            // written by something else: its raw text, which no canonical JSON equals
            return ContentDigest.sha256(("not JSON:" + stateJson).getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * Walks the keyspace with SCAN (Redis keeps no key order), keeps the smallest ids above
     * {@code afterExclusive} in {@link String#compareTo} order, and drops tombstones. Each page costs
     * one full SCAN of the keys matching the layout.
     */
    @Override
    public List<String> idsAfter(String afterExclusive, int limit) throws Exception {
        Args.atLeast(limit, 1, "limit");
        RedisCommands<String, String> sync = connection.sync();
        ScanArgs args = ScanArgs.Builder.matches(layout.scanPattern(entityType)).limit(scanCount);
        TreeSet<String> best = new TreeSet<>();
        KeyScanCursor<String> cursor = sync.scan(args);
        while (true) {
            List<String> candidates = new ArrayList<>();
            for (String key : cursor.getKeys()) {
                Optional<String> id = layout.idOf(entityType, key);
                if (id.isPresent() && (afterExclusive == null || id.get().compareTo(afterExclusive) > 0)
                        && (best.size() < limit || id.get().compareTo(best.last()) < 0)) {
                    candidates.add(id.get());
                }
            }
            List<RedisFuture<List<KeyValue<String, String>>>> replies = readVersions(candidates);
            for (int i = 0; i < candidates.size(); i++) {
                if (liveVersion(await(replies.get(i))).isPresent()) {
                    best.add(candidates.get(i));
                    if (best.size() > limit) {
                        best.pollLast();
                    }
                }
            }
            if (cursor.isFinished()) {
                return new ArrayList<>(best);
            }
            cursor = sync.scan(ScanCursor.of(cursor.getCursor()), args);
        }
    }

    /**
     * Reads the cached state of one entity, as the application's read path does.
     *
     * @param id an entity id
     * @return the cached state, empty when the cache holds nothing or a tombstone for it
     * @throws SinkException when Redis cannot be read ({@link SinkException#kind()} as {@link #classifier()} judges
     *                       the cause) or the cached JSON cannot be read as the entity class (PERMANENT)
     */
    public Optional<T> get(String id) {
        return entry(id).flatMap(RedisCacheEntry::state);
    }

    /**
     * Reads what the cache holds for one entity, tombstones included.
     *
     * @param id an entity id
     * @return what the cache holds for it; empty when nothing (or expired)
     * @throws SinkException when Redis cannot be read ({@link SinkException#kind()} as {@link #classifier()} judges
     *                       the cause) or the cached JSON cannot be read as the entity class (PERMANENT)
     */
    public Optional<RedisCacheEntry<T>> entry(String id) {
        Objects.requireNonNull(id, "id");
        String key = layout.key(entityType, id);
        Map<String, String> hash;
        try {
            hash = connection.sync().hgetall(key);
        } catch (RuntimeException e) {
            throw new SinkException("cannot read " + key + " from Redis", classifier().classify(e), e);
        }
        String version = hash.get(VersionGuardScript.FIELD_VERSION);
        if (version == null) {
            return Optional.empty();
        }
        String state = hash.get(VersionGuardScript.FIELD_STATE);
        if (state == null || hash.containsKey(VersionGuardScript.FIELD_DELETED)) {
            return Optional.of(new RedisCacheEntry<>(Long.parseLong(version), null));
        }
        try {
            return Optional.of(new RedisCacheEntry<>(Long.parseLong(version), json.<T>read(state, type)));
        } catch (java.io.IOException | RuntimeException e) {
            throw new SinkException("the JSON cached at " + key + " cannot be read as " + type.getName() + ": "
                    + e.getMessage(), ErrorKind.PERMANENT, e);
        }
    }

    /** @return the entity type this sink caches */
    public String entityType() {
        return entityType;
    }

    /** @return the key layout */
    public RedisKeyLayout keyLayout() {
        return layout;
    }

    private List<RedisFuture<List<KeyValue<String, String>>>> readVersions(List<String> ids) {
        RedisAsyncCommands<String, String> async = connection.async();
        List<RedisFuture<List<KeyValue<String, String>>>> replies = new ArrayList<>(ids.size());
        for (String id : ids) {
            replies.add(async.hmget(layout.key(entityType, id), VersionGuardScript.FIELD_VERSION,
                    VersionGuardScript.FIELD_DELETED));
        }
        return replies;
    }

    private static Optional<Long> liveVersion(List<KeyValue<String, String>> fields) {
        if (fields.size() < 2 || !fields.get(0).hasValue() || fields.get(1).hasValue()) {
            return Optional.empty();
        }
        return Optional.of(Long.parseLong(fields.get(0).getValue()));
    }

    private <R> R await(RedisFuture<R> future) throws Exception {
        return await(future, connection.getTimeout().toNanos());
    }

    private <R> R await(RedisFuture<R> future, long nanos) throws Exception {
        try {
            return future.get(nanos, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof Exception ? (Exception) cause : e;
        } catch (TimeoutException e) {
            future.cancel(false);
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw e;
        }
    }

    /**
     * Builds a {@link RedisSink}. Not thread-safe.
     *
     * @param <T> the entity type
     */
    public static final class Builder<T> {
        private StatefulRedisConnection<String, String> connection;
        private final String entityType;
        private final Class<T> type;
        private Json json;
        private RedisKeyLayout layout = RedisKeyLayout.defaults();
        private Duration tombstoneTtl = DEFAULT_TOMBSTONE_TTL;
        private Duration entryTtl = DEFAULT_ENTRY_TTL;
        private int scanCount = DEFAULT_SCAN_COUNT;

        private Builder(String entityType, Class<T> type) {
            this.entityType = Args.notBlank(entityType, "entityType");
            this.type = Objects.requireNonNull(type, "entityClass");
        }

        /**
         * @param connection a Lettuce connection with String keys and values; required. The application owns it
         *                   and closes it after the writer.
         * @return this
         */
        public Builder<T> connection(StatefulRedisConnection<String, String> connection) {
            this.connection = Objects.requireNonNull(connection, "connection");
            return this;
        }

        /**
         * @param mapper the Jackson 2 mapper that writes and reads the cached JSON; the same as
         *               {@code json(Jackson2Json.of(mapper))}
         * @return this
         */
        public Builder<T> objectMapper(ObjectMapper mapper) {
            return json(Jackson2Json.of(mapper));
        }

        /**
         * @param json the JSON mapping that writes and reads the cached JSON (the application's Jackson 2 or
         *             Jackson 3 mapper: {@link Jackson2Json#of}, {@link io.dualwrite.json.Jackson3Json#of});
         *             default {@link Json#defaults()}, Jackson 3 when it is on the classpath, else Jackson 2 with
         *             the Java time module
         * @return this
         */
        public Builder<T> json(Json json) {
            this.json = Objects.requireNonNull(json, "json");
            return this;
        }

        /**
         * @param layout where entities live; default {@link RedisKeyLayout#DEFAULT_TEMPLATE}
         * @return this
         */
        public Builder<T> keyLayout(RedisKeyLayout layout) {
            this.layout = Objects.requireNonNull(layout, "layout");
            return this;
        }

        /**
         * How long a delete's tombstone is kept. While it exists, no older write can bring the entry
         * back; it must outlive the longest delay a delivery can have (recovery grace period plus
         * retry backoff plus the time a dead letter may wait for a replay). {@link Duration#ZERO}
         * keeps tombstones for ever.
         *
         * @param ttl at least one millisecond, or zero; default {@link #DEFAULT_TOMBSTONE_TTL}
         * @return this
         */
        public Builder<T> tombstoneTtl(Duration ttl) {
            this.tombstoneTtl = checkTtl(ttl, "tombstoneTtl");
            return this;
        }

        /**
         * How long a live entry is kept after its last write. Once an entry has expired, its version
         * guard is gone with it: a late delivery of an older version would be cached until the next
         * write or expiry. {@link Duration#ZERO} keeps entries for ever.
         *
         * @param ttl at least one millisecond, or zero; default {@link #DEFAULT_ENTRY_TTL} (no expiry)
         * @return this
         */
        public Builder<T> entryTtl(Duration ttl) {
            this.entryTtl = checkTtl(ttl, "entryTtl");
            return this;
        }

        /**
         * @param count the COUNT hint of each SCAN call made by {@link RedisSink#idsAfter}; at least 1;
         *              default {@value #DEFAULT_SCAN_COUNT}
         * @return this
         */
        public Builder<T> scanCount(int count) {
            Args.atLeast(count, 1, "scanCount");
            this.scanCount = count;
            return this;
        }

        /**
         * @return the sink
         * @throws IllegalStateException if no connection was given, or the entity type contains the text that separates
         *                               {@code {type}} from {@code {id}} in the key template (see
         *                               {@link RedisKeyLayout#checkEntityType})
         */
        public RedisSink<T> build() {
            if (connection == null) {
                throw new IllegalStateException("a Redis connection is required: .connection(redisClient.connect())");
            }
            try {
                layout.checkEntityType(entityType);
            } catch (IllegalArgumentException sharedKeys) {
                throw new IllegalStateException(sharedKeys.getMessage(), sharedKeys);
            }
            return new RedisSink<>(this);
        }

        private static Duration checkTtl(Duration ttl, String name) {
            Objects.requireNonNull(ttl, name);
            if (ttl.isNegative() || (!ttl.isZero() && ttl.toMillis() < 1)) {
                throw new IllegalArgumentException(name + " must be zero or at least one millisecond, was " + ttl);
            }
            return ttl;
        }
    }
}
