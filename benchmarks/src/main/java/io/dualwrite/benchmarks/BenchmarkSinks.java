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

import io.dualwrite.Change;
import io.dualwrite.Operation;
import io.dualwrite.redis.RedisKeyLayout;
import io.dualwrite.redis.RedisSink;
import io.dualwrite.spi.Sink;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * The sinks the benchmarks write to, by name: {@code sim-0ms} and {@code sim-1ms} (a
 * {@link SimulatedSink} with that round trip), {@code redis} (the real {@link RedisSink} on the
 * benchmark's Redis, one key space per role so that no two benchmark paths share versions).
 * Stateless and thread-safe.
 */
public final class BenchmarkSinks {
    /** The entity type every benchmark writes. */
    public static final String TYPE = "item";

    private BenchmarkSinks() {
    }

    /**
     * @param kind    {@code sim-<n>ms} or {@code redis}
     * @param servers the servers (for Redis)
     * @param role    distinguishes sinks of one kind within a trial (its own Redis key space)
     * @return a new sink
     * @throws IllegalArgumentException for an unknown kind
     */
    public static Sink<Item> create(String kind, BenchmarkServers servers, String role) {
        String k = kind.toLowerCase(Locale.ROOT);
        if (k.equals("redis")) {
            return RedisSink.builder(TYPE, Item.class).connection(servers.redis())
                    .keyLayout(RedisKeyLayout.of(servers.redisPrefix() + role + ":{id}"))
                    .build();
        }
        if (k.startsWith("sim-") && k.endsWith("ms")) {
            long millis = Long.parseLong(k.substring(4, k.length() - 2));
            return new SimulatedSink<>(Duration.ofMillis(millis));
        }
        throw new IllegalArgumentException("unknown sink kind '" + kind + "': use sim-<n>ms or redis");
    }

    /**
     * The change a hand-written dual write would send: the state it just wrote, at a version it keeps
     * itself.
     *
     * @param item    the state
     * @param version the version
     * @return the change
     */
    public static Change<Item> changeOf(Item item, long version) {
        return Change.<Item>builder().entityType(TYPE).id(item.getId()).version(version)
                .operation(Operation.UPSERT).state(item)
                .idempotencyKey(TYPE + "/" + item.getId() + "@" + version)
                .correlationId("bench").time(Instant.now()).build();
    }
}
