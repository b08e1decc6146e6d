package io.dualwrite.opensearch;

import io.dualwrite.Change;
import io.dualwrite.Operation;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.AbstractSinkContractTest;
import io.dualwrite.testkit.contract.Stored;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The search-index sink keeps the sink contract on a real OpenSearch node (in this JVM, shared by
 * the module's tests); what the index holds is read with plain GETs, not through the sink.
 */
class OpenSearchSinkContractTest extends AbstractSinkContractTest<TestItem> {
    private String index;

    @Override
    protected Sink<TestItem> createSink() {
        index = OpenSearchTestSupport.newIndexName("contract");
        return builder().build();
    }

    private OpenSearchSink.Builder<TestItem> builder() {
        return OpenSearchSink.<TestItem>builder()
                .client(OpenSearchTestSupport.client())
                .index(index)
                .indexSettings(OpenSearchTestSupport.TEST_INDEX_SETTINGS)
                // an int field, so a price beyond 2^31 is a mapping error the engine refuses every time
                .indexProperties("{\"price\":{\"type\":\"integer\"}}")
                .refresh(RefreshPolicy.IMMEDIATE);
    }

    /** A document mapper that meets a null it did not expect for one entity. */
    @Override
    protected Optional<Sink<TestItem>> sinkWithMappingFailingFor(String unmappableId) {
        return Optional.of(builder().documentMapper(item -> {
            if (item.id().equals(unmappableId)) {
                throw new NullPointerException("the mapper found no value it needs in " + item.id());
            }
            return OpenSearchTestSupport.JSON.valueToTree(item);
        }).build());
    }

    @Override
    protected TestItem entity(String id, int variant) {
        return TestItem.variant(id, variant);
    }

    @Override
    protected Optional<Stored<TestItem>> readBack(Sink<TestItem> sink, String id) throws Exception {
        return OpenSearchTestSupport.readBack(index, id);
    }

    @Override
    protected Optional<Change<TestItem>> permanentlyRejectedChange(String id, long version) {
        return Optional.of(Change.<TestItem>builder().entityType(entityType()).id(id).version(version)
                .operation(Operation.UPSERT).state(new TestItem(id, "too expensive", 10_000_000_000L, List.of()))
                .correlationId("poison-" + id).time(Instant.now()).build());
    }

    @Override
    protected void dispose(Sink<TestItem> sink) throws Exception {
        ((OpenSearchSink<TestItem>) sink).close();
        OpenSearchTestSupport.deleteIndex(index);
    }
}
