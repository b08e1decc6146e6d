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
package io.dualwrite.spring.boot;

import io.dualwrite.redis.RedisKeyLayout;
import io.dualwrite.redis.RedisSink;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.UUID;

/**
 * The local Redis on 127.0.0.1:6379 for one test class ({@code @RegisterExtension static final LocalRedis}): connects
 * before the class, or skips it with the reason where no Redis runs; keys go under a prefix of the class's own so
 * that parallel builds do not meet, and are deleted after it.
 */
final class LocalRedis implements BeforeAllCallback, AfterAllCallback {
    final String prefix = "dw-spring-" + UUID.randomUUID().toString().substring(0, 8);
    private RedisClient client;
    private StatefulRedisConnection<String, String> connection;

    @Override
    public void beforeAll(ExtensionContext context) {
        client = RedisClient.create("redis://127.0.0.1:6379");
        try {
            connection = client.connect();
        } catch (RuntimeException e) {
            client.shutdown();
            client = null;
            Assumptions.abort("no Redis on 127.0.0.1:6379 (start it with redis-server): " + e.getMessage());
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (connection != null) {
            connection.sync().keys(prefix + ":*").forEach(k -> connection.sync().del(k));
            connection.close();
            client.shutdown();
        }
    }

    /** @return the connection, open between before-all and after-all */
    StatefulRedisConnection<String, String> connection() {
        return connection;
    }

    /**
     * @param type        an entity type
     * @param entityClass its class
     * @param <T>         the entity type
     * @return a Redis sink for it, its keys under the class's prefix
     */
    <T> RedisSink<T> sink(String type, Class<T> entityClass) {
        return builder(type, entityClass).build();
    }

    /**
     * @param type        an entity type
     * @param entityClass its class
     * @param <T>         the entity type
     * @return a Redis sink builder for it, its keys under the class's prefix
     */
    <T> RedisSink.Builder<T> builder(String type, Class<T> entityClass) {
        return RedisSink.builder(type, entityClass).connection(connection).keyLayout(RedisKeyLayout.of(prefix + ":{type}:{id}"));
    }

    /**
     * @param type an entity type
     * @param id   an entity id
     * @return whether Redis holds the entity under the class's prefix
     */
    boolean holds(String type, String id) {
        return connection.sync().exists(prefix + ":" + type + ":" + id) == 1L;
    }
}
