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

import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.Stored;
import io.dualwrite.testkit.servers.TestRedis;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A JUnit extension (register it on a static field) holding a Lettuce client of the test Redis, and
 * key prefixes unique to this run so runs never meet; it deletes the run's keys after the class.
 */
final class RedisFixture implements BeforeAllCallback, AfterAllCallback {
    RedisClient client;
    StatefulRedisConnection<String, String> connection;
    final String runPrefix = "dwtest:" + UUID.randomUUID() + ":";

    @Override
    public void beforeAll(ExtensionContext context) {
        RedisURI uri = RedisURI.create(TestRedis.uri());
        uri.setTimeout(Duration.ofSeconds(5));
        client = RedisClient.create(uri);
        connection = client.connect();
    }

    /**
     * @param name a name for the part of the run
     * @return a fresh key layout below this run's prefix
     */
    RedisKeyLayout layout(String name) {
        return RedisKeyLayout.of(runPrefix + name + ":" + UUID.randomUUID() + ":{type}:{id}");
    }

    /**
     * Reads what Redis holds for an entity with plain hash commands, not through the sink.
     *
     * @param layout the sink's key layout
     * @param type   the entity type
     * @param id     the entity id
     * @return a live entity with its state, a tombstone, or empty when Redis holds no hash for it
     * @throws IOException if the state is not JSON of a {@link TestItem}
     */
    Optional<Stored<TestItem>> readBack(RedisKeyLayout layout, String type, String id) throws IOException {
        Map<String, String> hash = connection.sync().hgetall(layout.key(type, id));
        if (hash.isEmpty()) {
            return Optional.empty();
        }
        long version = Long.parseLong(hash.get("version"));
        if ("1".equals(hash.get("deleted"))) {
            return Optional.of(Stored.deleted(version));
        }
        return Optional.of(Stored.live(version, RedisSinkTest.JSON.readValue(hash.get("state"), TestItem.class)));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        ScanArgs args = ScanArgs.Builder.matches(runPrefix + "*").limit(1000);
        KeyScanCursor<String> cursor = connection.sync().scan(args);
        while (true) {
            if (!cursor.getKeys().isEmpty()) {
                connection.sync().unlink(cursor.getKeys().toArray(new String[0]));
            }
            if (cursor.isFinished()) {
                break;
            }
            cursor = connection.sync().scan(ScanCursor.of(cursor.getCursor()), args);
        }
        connection.close();
        client.shutdown();
    }
}
