package io.dualwrite.testkit.contract;

import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.TestItem;

import java.util.Optional;

/** The reference in-memory sink keeps the sink contract; its state is read through its own accessors. */
class InMemorySinkContractTest extends AbstractSinkContractTest<TestItem> {

    @Override
    protected Sink<TestItem> createSink() {
        return new InMemorySink<>();
    }

    @Override
    protected TestItem entity(String id, int variant) {
        return TestItem.variant(id, variant);
    }

    @Override
    protected Optional<Stored<TestItem>> readBack(Sink<TestItem> sink, String id) {
        InMemorySink<TestItem> s = (InMemorySink<TestItem>) sink;
        if (s.versionOf(id).isEmpty()) {
            return Optional.empty();
        }
        long v = s.versionOf(id).getAsLong();
        return Optional.of(s.isDeleted(id) ? Stored.deleted(v) : Stored.live(v, s.get(id).orElseThrow()));
    }
}
