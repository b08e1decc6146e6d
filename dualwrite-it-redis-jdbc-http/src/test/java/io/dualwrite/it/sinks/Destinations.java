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
package io.dualwrite.it.sinks;

import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoCollection;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dualwrite.jdbc.JdbcSink;
import io.dualwrite.jdbc.JdbcTables;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.redis.RedisKeyLayout;
import io.dualwrite.redis.RedisSink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.mongo.TestMongo;
import io.dualwrite.testkit.servers.TestPostgres;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import org.bson.codecs.configuration.CodecRegistries;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The real destinations of one test: a MongoDB primary collection, a Redis key prefix, PostgreSQL
 * tables, each unique to the run and removed by {@link #close()}. Host and port may be a fault
 * proxy's in front of the real server.
 */
final class Destinations implements AutoCloseable {
    private final String run = "it" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    private final List<RedisClient> redisClients = new ArrayList<>();
    private final List<ClientResources> redisResources = new ArrayList<>();
    private final List<HikariDataSource> pools = new ArrayList<>();
    private final List<String> tables = new ArrayList<>();
    private final List<MongoCollection<TestItem>> collections = new ArrayList<>();
    private StatefulRedisConnection<String, String> admin;
    private RedisClient adminClient;
    private int n;

    /** @return a MongoDB primary on a fresh collection */
    MongoPrimaryStore<TestItem> mongoPrimary() {
        MongoCollection<TestItem> c = TestMongo.client().getDatabase("dualwrite_it")
                .getCollection(run + "_" + (n++), TestItem.class)
                .withCodecRegistry(CodecRegistries.fromRegistries(CodecRegistries.fromCodecs(new JsonEntityCodec<>(TestItem.class)),
                        MongoClientSettings.getDefaultCodecRegistry()));
        collections.add(c);
        return MongoPrimaryStore.builder(c).build();
    }

    /**
     * @param host    Redis host (or a proxy's)
     * @param port    Redis port (or a proxy's)
     * @param timeout command timeout
     * @return a connection that fails fast while disconnected and reconnects by itself every 100 ms
     */
    StatefulRedisConnection<String, String> redis(String host, int port, Duration timeout) {
        RedisURI uri = RedisURI.builder().withHost(host).withPort(port).withTimeout(timeout).build();
        // reconnect every 100 ms instead of backing off towards 30 s, so a test sees the link return quickly
        ClientResources resources = ClientResources.builder().reconnectDelay(Delay.constant(Duration.ofMillis(100))).build();
        redisResources.add(resources);
        RedisClient client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build());
        redisClients.add(client);
        return client.connect();
    }

    /**
     * @param connection a Redis connection
     * @return a Redis sink on a key prefix of this run
     */
    RedisSink<TestItem> redisSink(StatefulRedisConnection<String, String> connection) {
        return RedisSink.builder("item", TestItem.class).connection(connection)
                .keyLayout(RedisKeyLayout.of(run + ":" + (n++) + ":{type}:{id}")).build();
    }

    /**
     * @param host PostgreSQL host (or a proxy's)
     * @param port PostgreSQL port (or a proxy's)
     * @return a small pool that gives up quickly when the database is unreachable
     */
    HikariDataSource pool(String host, int port) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(TestPostgres.jdbcUrl(host, port) + "?connectTimeout=2&socketTimeout=5");
        config.setUsername(TestPostgres.USER);
        config.setMaximumPoolSize(8);
        config.setConnectionTimeout(250);
        config.setValidationTimeout(250);
        config.setInitializationFailTimeout(-1);
        HikariDataSource ds = new HikariDataSource(config);
        pools.add(ds);
        return ds;
    }

    /**
     * @param direct a pool straight to the database (for the DDL)
     * @param pool   the pool the sink uses
     * @return a JDBC sink on a fresh table of this run
     * @throws SQLException if the table cannot be created
     */
    JdbcSink<TestItem> jdbcSink(HikariDataSource direct, HikariDataSource pool) throws SQLException {
        String table = run + "_" + (n++);
        JdbcTables.createPostgresTable(direct, table);
        tables.add(table);
        return JdbcSink.builder("item", TestItem.class).dataSource(pool).table(table).build();
    }

    @Override
    public void close() throws SQLException {
        try {
            collections.forEach(MongoCollection::drop);
            if (!pools.isEmpty() && !tables.isEmpty()) {
                HikariDataSource ddl = pool(TestPostgres.server().host(), TestPostgres.server().port());
                try (Connection c = ddl.getConnection(); Statement s = c.createStatement()) {
                    for (String t : tables) {
                        s.execute("DROP TABLE IF EXISTS " + t);
                    }
                }
            }
            if (!redisClients.isEmpty()) {
                deleteRedisKeys();
            }
        } finally {
            pools.forEach(HikariDataSource::close);
            redisClients.forEach(RedisClient::shutdown);
            redisResources.forEach(ClientResources::shutdown);
        }
    }

    private void deleteRedisKeys() {
        RedisURI uri = RedisURI.create(io.dualwrite.testkit.servers.TestRedis.uri());
        adminClient = RedisClient.create(uri);
        redisClients.add(adminClient);
        admin = adminClient.connect();
        ScanArgs args = ScanArgs.Builder.matches(run + ":*").limit(1000);
        KeyScanCursor<String> cursor = admin.sync().scan(args);
        while (true) {
            if (!cursor.getKeys().isEmpty()) {
                admin.sync().unlink(cursor.getKeys().toArray(new String[0]));
            }
            if (cursor.isFinished()) {
                return;
            }
            cursor = admin.sync().scan(ScanCursor.of(cursor.getCursor()), args);
        }
    }
}
