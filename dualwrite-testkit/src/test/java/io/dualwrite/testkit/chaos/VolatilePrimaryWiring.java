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
