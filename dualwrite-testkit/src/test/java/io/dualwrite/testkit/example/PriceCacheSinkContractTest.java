package io.dualwrite.testkit.example;

import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.contract.AbstractSinkContractTest;
import io.dualwrite.testkit.contract.Stored;

import java.util.Optional;

/** A user proves their own sink keeps the contract: one small subclass. */
class PriceCacheSinkContractTest extends AbstractSinkContractTest<Product> {

    @Override
    protected Sink<Product> createSink() {
        return new PriceCacheSink();
    }

    @Override
    protected Product entity(String id, int variant) {
        return new Product(id, "title " + variant, 1000L + variant);
    }

    @Override
    protected Optional<Stored<Product>> readBack(Sink<Product> sink, String id) {
        PriceCacheSink.Entry e = ((PriceCacheSink) sink).entry(id);
        if (e == null) {
            return Optional.empty();
        }
        // the cache keeps only the price, so the content check compares what it has
        return Optional.of(e.cents() == null ? Stored.deleted(e.version()) : Stored.live(e.version()));
    }
}
