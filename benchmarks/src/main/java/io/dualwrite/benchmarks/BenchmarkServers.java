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
package io.dualwrite.benchmarks;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.testkit.mongo.InJvmMongo;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.bson.codecs.configuration.CodecRegistries;
import org.bson.codecs.configuration.CodecRegistry;
import org.bson.codecs.pojo.PojoCodecProvider;

import java.util.Optional;
import java.util.UUID;

/**
 * The servers a benchmark talks to, chosen once per benchmark JVM: MongoDB at
 * {@value #MONGO_URI_VARIABLE} when set, else an in-JVM MongoDB-wire server; Redis at
 * {@value #REDIS_ADDRESS_VARIABLE} ({@code host:port}) when set, else 127.0.0.1:6379. Each
 * benchmark trial works in its own database and its own Redis key prefix and removes both when
 * it ends. Thread-safe.
 */
public final class BenchmarkServers implements AutoCloseable {
    /** The environment variable (or system property) naming a real MongoDB. */
    public static final String MONGO_URI_VARIABLE = "DUALWRITE_MONGO_URI";
    /** The environment variable (or system property) naming the Redis as {@code host:port}. */
    public static final String REDIS_ADDRESS_VARIABLE = "DUALWRITE_REDIS_ADDRESS";
    /** The Redis used when {@value #REDIS_ADDRESS_VARIABLE} is not set. */
    public static final String DEFAULT_REDIS_ADDRESS = "127.0.0.1:6379";
    /** Every Redis key a benchmark writes starts with this. */
    public static final String REDIS_KEY_PREFIX = "dwbench:";

    /** The codecs of every collection: the driver's defaults plus POJOs ({@link Item}). */
    public static final CodecRegistry CODECS = CodecRegistries.fromRegistries(
            MongoClientSettings.getDefaultCodecRegistry(),
            CodecRegistries.fromProviders(PojoCodecProvider.builder().automatic(true).build()));

    private final InJvmMongo inJvm;
    private final MongoClient mongo;
    private final String mongoDescription;
    private final String databaseName = "dwbench_" + UUID.randomUUID().toString().substring(0, 8);
    private RedisClient redisClient;
    private StatefulRedisConnection<String, String> redis;
    private final String redisPrefix = REDIS_KEY_PREFIX + UUID.randomUUID().toString().substring(0, 8) + ":";

    private BenchmarkServers(InJvmMongo inJvm, MongoClient mongo, String mongoDescription) {
        this.inJvm = inJvm;
        this.mongo = mongo;
        this.mongoDescription = mongoDescription;
    }

    /** @return the servers: a fresh in-JVM MongoDB unless {@value #MONGO_URI_VARIABLE} names one */
    public static BenchmarkServers open() {
        Optional<String> uri = setting(MONGO_URI_VARIABLE);
        if (uri.isPresent()) {
            ConnectionString cs = new ConnectionString(uri.get());
            return new BenchmarkServers(null, client(cs), "MongoDB at " + String.join(",", cs.getHosts()));
        }
        InJvmMongo server = InJvmMongo.start();
        return new BenchmarkServers(server, client(new ConnectionString(server.connectionString())), describeInJvm());
    }

    /** A client whose commands {@link CommandCounter} counts. */
    private static MongoClient client(ConnectionString cs) {
        return MongoClients.create(MongoClientSettings.builder().applyConnectionString(cs)
                .addCommandListener(CommandCounter.LISTENER).build());
    }

    /** @return true when {@value #MONGO_URI_VARIABLE} names a real MongoDB */
    public static boolean realMongo() {
        return setting(MONGO_URI_VARIABLE).isPresent();
    }

    /** @return which MongoDB the benchmarks of this environment use, in words */
    public static String mongoKind() {
        return setting(MONGO_URI_VARIABLE)
                .map(u -> "MongoDB at " + String.join(",", new ConnectionString(u).getHosts()) + " (" + MONGO_URI_VARIABLE + ")")
                .orElseGet(BenchmarkServers::describeInJvm);
    }

    private static String describeInJvm() {
        return "in-JVM MongoDB-wire server (mongo-java-server, memory backend): not a real MongoDB, "
                + "no conclusions about MongoDB itself";
    }

    static Optional<String> setting(String name) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            v = System.getProperty(name);
        }
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    /** @return this trial's own database, with POJO codecs */
    public MongoDatabase database() {
        return mongo.getDatabase(databaseName).withCodecRegistry(CODECS);
    }

    /** @return the client */
    public MongoClient mongo() {
        return mongo;
    }

    /** @return which MongoDB this is, in words */
    public String mongoDescription() {
        return mongoDescription;
    }

    /** @return a connection to the Redis, opened on first use and shared by all threads */
    public synchronized StatefulRedisConnection<String, String> redis() {
        if (redis == null) {
            String address = setting(REDIS_ADDRESS_VARIABLE).orElse(DEFAULT_REDIS_ADDRESS);
            redisClient = RedisClient.create("redis://" + address);
            redis = redisClient.connect();
        }
        return redis;
    }

    /** @return the key prefix of this trial's Redis keys, ending in ':' */
    public String redisPrefix() {
        return redisPrefix;
    }

    /** Deletes every Redis key this trial wrote so far (nothing when Redis was not used). */
    public synchronized void clearRedis() {
        if (redis != null) {
            deleteRedisKeys(redis.sync(), redisPrefix + "*");
        }
    }

    /** Drops this trial's database and Redis keys, then closes the clients (and the in-JVM server). */
    @Override
    public synchronized void close() {
        try {
            mongo.getDatabase(databaseName).drop();
            clearRedis();
        } finally {
            if (redis != null) {
                redis.close();
                redisClient.shutdown();
            }
            mongo.close();
            if (inJvm != null) {
                inJvm.close();
            }
        }
    }

    private static void deleteRedisKeys(RedisCommands<String, String> cmd, String pattern) {
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = cmd.scan(cursor, ScanArgs.Builder.matches(pattern).limit(1000));
            if (!page.getKeys().isEmpty()) {
                cmd.unlink(page.getKeys().toArray(new String[0]));
            }
            cursor = page;
        } while (!cursor.isFinished());
    }
}
