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

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.dualwrite.Change;
import io.dualwrite.Operation;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.AbstractSinkContractTest;
import io.dualwrite.testkit.contract.Stored;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

/**
 * The sink contract against the real Redis (local service, DUALWRITE_REDIS_ADDRESS, or
 * Testcontainers); what Redis holds is read and, for the content digests, written with plain hash
 * commands, not through the sink.
 */
class RedisSinkContractTest extends AbstractSinkContractTest<TestItem> {
    @RegisterExtension
    static final RedisFixture redis = new RedisFixture();
    private RedisKeyLayout layout;

    @Override
    protected Sink<TestItem> createSink() {
        layout = redis.layout("contract");
        return RedisSink.builder(entityType(), TestItem.class).connection(redis.connection).keyLayout(layout).build();
    }

    /** A Jackson serializer of the application's that meets a null it did not expect for one entity. */
    @Override
    protected Optional<Sink<TestItem>> sinkWithMappingFailingFor(String unmappableId) {
        JsonSerializer<TestItem> failing = new JsonSerializer<>() {
            @Override
            public void serialize(TestItem item, JsonGenerator out, SerializerProvider provider) throws IOException {
                if (item.id().equals(unmappableId)) {
                    throw new NullPointerException("the serializer found no value it needs in " + item.id());
                }
                out.writeRawValue(RedisSinkTest.JSON.writeValueAsString(item));
            }
        };
        return Optional.of(RedisSink.builder(entityType(), TestItem.class).connection(redis.connection).keyLayout(layout)
                .objectMapper(new ObjectMapper().registerModule(new SimpleModule().addSerializer(TestItem.class, failing)))
                .build());
    }

    @Override
    protected TestItem entity(String id, int variant) {
        return TestItem.variant(id, variant);
    }

    /** A change of an entity type this sink does not cache: refused before anything is sent. */
    @Override
    protected Optional<Change<TestItem>> permanentlyRejectedChange(String id, long version) {
        return Optional.of(Change.<TestItem>builder().entityType("not-" + entityType()).id(id).version(version)
                .operation(Operation.UPSERT).state(entity(id, 0)).correlationId("poison-" + id).time(Instant.now()).build());
    }

    /** A plain HSET of the state field, with the version field left as it is. */
    @Override
    protected boolean overwriteKeepingVersion(Sink<TestItem> sink, String id, long version, TestItem state)
            throws Exception {
        String key = layout.key(entityType(), id);
        if (!Long.toString(version).equals(redis.connection.sync().hget(key, "version"))) {
            return false;
        }
        redis.connection.sync().hset(key, "state", RedisSinkTest.JSON.writeValueAsString(state));
        return true;
    }

    /** The state's JSON written again by hand in another form. */
    @Override
    protected boolean rewriteInAnotherForm(Sink<TestItem> sink, String id) throws Exception {
        String key = layout.key(entityType(), id);
        JsonNode held = RedisSinkTest.JSON.readTree(redis.connection.sync().hget(key, "state"));
        redis.connection.sync().hset(key, "state", inAnotherForm(held));
        return true;
    }

    /** Reads the hash with a plain HGETALL, not through the sink. */
    @Override
    protected Optional<Stored<TestItem>> readBack(Sink<TestItem> sink, String id) throws Exception {
        return redis.readBack(layout, entityType(), id);
    }
}
