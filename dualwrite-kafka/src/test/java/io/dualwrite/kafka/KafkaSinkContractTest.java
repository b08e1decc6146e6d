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
package io.dualwrite.kafka;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dualwrite.Change;
import io.dualwrite.Operation;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.AbstractSinkContractTest;
import io.dualwrite.testkit.contract.Stored;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The Kafka sink keeps the sink contract on a real broker (in this JVM, shared by the module's
 * tests). Kafka itself is an append-only log, so what the destination "holds" is what a consumer
 * guarded by {@link VersionGuard} holds after reading the whole topic: a {@link VersionedTopicView}.
 */
class KafkaSinkContractTest extends AbstractSinkContractTest<TestItem> {
    private VersionedTopicView<TestItem> view;
    private String topic;

    @Override
    protected Sink<TestItem> createSink() {
        topic = KafkaTestSupport.newTopic("contract", 3);
        view = VersionedTopicView.open(KafkaTestSupport.clientConfig(), topic, KafkaTestSupport.items());
        return builder().build();
    }

    private KafkaSink.Builder<TestItem> builder() {
        return KafkaSink.builder(entityType(), TestItem.class).bootstrapServers(KafkaTestSupport.kafka().bootstrapServers()).topic(topic);
    }

    /** A value serializer that meets a null it did not expect for one entity. */
    @Override
    protected Optional<Sink<TestItem>> sinkWithMappingFailingFor(String unmappableId) {
        ValueSerializer<TestItem> json = ValueSerializer.jackson(new ObjectMapper());
        return Optional.of(builder().valueSerializer(item -> {
            if (item.id().equals(unmappableId)) {
                throw new NullPointerException("the serializer found no value it needs in " + item.id());
            }
            return json.serialize(item);
        }).build());
    }

    @Override
    protected TestItem entity(String id, int variant) {
        return TestItem.variant(id, variant);
    }

    @Override
    protected Optional<Stored<TestItem>> readBack(Sink<TestItem> sink, String id) throws Exception {
        view.catchUp(Duration.ofSeconds(30));
        return view.get(id).map(e -> e.deleted() ? Stored.deleted(e.version())
                : Stored.live(e.version(), e.value().orElseThrow()));
    }

    @Override
    protected Optional<Change<TestItem>> permanentlyRejectedChange(String id, long version) {
        // above the producer's max.request.size (1 MB): refused before it leaves, every time
        String huge = "x".repeat(2 * 1024 * 1024);
        return Optional.of(Change.<TestItem>builder().entityType(entityType()).id(id).version(version)
                .operation(Operation.UPSERT).state(new TestItem(id, huge, 1, List.of()))
                .correlationId("poison-" + id).time(Instant.now()).build());
    }

    @Override
    protected void dispose(Sink<TestItem> sink) {
        ((KafkaSink<TestItem>) sink).close();
        view.close();
    }
}
