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
package io.dualwrite.testkit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dualwrite.DualWriter;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.Change;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.fault.FaultySink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A sink built for one entity type is refused at build() by a writer of another type; wrapping it in a testkit
 * sink (to inject faults or record deliveries) must not hide the mismatch.
 */
class WrappedSinkEntityTypeTest {

    record Item(String id) {
    }

    /** A sink bound to "products", as RedisSink.builder("products", Item.class) would be. */
    static Sink<Item> boundTo(String type) {
        return new Sink<>() {
            @Override
            public ApplyResult apply(Change<Item> change) {
                return ApplyResult.APPLIED;
            }

            @Override
            public Optional<String> boundEntityType() {
                return Optional.of(type);
            }
        };
    }

    static IllegalStateException buildWith(Sink<Item> sink) {
        return assertThrows(IllegalStateException.class, () -> DualWriter.<Item>builder().entityType("product")
                .idOf(Item::id).primary(new InMemoryPrimaryStore<>()).deadLetterStore(new InMemoryDeadLetterStore())
                .meterRegistry(new SimpleMeterRegistry()).sink("cache", sink).build().close());
    }

    @Test
    void theBareSinkIsRefused() {
        assertTrue(buildWith(boundTo("products")).getMessage().contains("'products'"));
    }

    @Test
    void aFaultySinkAroundASinkOfAnotherEntityTypeIsRefusedAtBuild() {
        assertTrue(buildWith(FaultySink.wrap(boundTo("products")).build()).getMessage().contains("'products'"));
    }

    @Test
    void aRecordingSinkAroundASinkOfAnotherEntityTypeIsRefusedAtBuild() {
        assertTrue(buildWith(new RecordingSink<>(boundTo("products"))).getMessage().contains("'products'"));
    }

    @Test
    void aWrapperKeepsTheWrappedSinksEntityType() {
        Function<Sink<Item>, Sink<Item>> faulty = s -> FaultySink.wrap(s).build();
        assertTrue(faulty.apply(boundTo("products")).boundEntityType().equals(Optional.of("products")),
                "FaultySink reports the wrapped sink's entity type");
        assertTrue(new RecordingSink<>(boundTo("products")).boundEntityType().equals(Optional.of("products")),
                "RecordingSink reports the wrapped sink's entity type");
    }
}
