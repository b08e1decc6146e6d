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
package io.dualwrite.testkit.chaos;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.DualWriter;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.sink.MongoVersionedSink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * A deliberately wrong wiring for the kill harness's own test: durable sinks in MongoDB, but a
 * primary in the process's memory, which dies with every kill.
 */
public final class VolatilePrimaryWiring implements ChaosWiring {

    @Override
    public Wired create(String uri, Clock clock) {
        MongoClient client = MongoClients.create(uri);
        MongoDatabase db = client.getDatabase("dw_process_chaos");
        MongoVersionedSink<TestItem> search = new MongoVersionedSink<>(db, "search", TestItem.class);
        InMemoryPrimaryStore<TestItem> primary = new InMemoryPrimaryStore<>();
        InMemoryDeadLetterStore dead = new InMemoryDeadLetterStore();
        DualWriter<TestItem> writer = DualWriter.<TestItem>builder().entityType("item").idOf(TestItem::id)
                .primary(primary).deadLetterStore(dead).clock(clock).meterRegistry(new SimpleMeterRegistry())
                .gracePeriod(Duration.ZERO).lease(Duration.ofSeconds(5))
                .sink("search", search, SinkSettings.builder().attemptTimeout(Duration.ofSeconds(2)).build()).build();
        return new Wired(writer, primary, Map.of("search", search), dead, client);
    }
}
