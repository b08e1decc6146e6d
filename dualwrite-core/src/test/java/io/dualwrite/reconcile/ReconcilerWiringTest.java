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
package io.dualwrite.reconcile;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dualwrite.Change;
import io.dualwrite.DualWriter;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.ReconcilableSink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A reconciler reads each sink it is given and repairs through the writer: a sink built for another entity type than
 * the writer's would be read in the wrong key space (every entity "missing", every one repaired), so build() refuses
 * it with the same message the writer gives.
 */
class ReconcilerWiringTest {

    record Item(String id) {
    }

    @Test
    void aSinkBuiltForAnotherEntityTypeIsRefusedAtBuild() {
        InMemoryPrimaryStore<Item> primary = new InMemoryPrimaryStore<>();
        ReconcilableSink<Item> ofProducts = new ReconcilableSink<>() {
            @Override
            public ApplyResult apply(Change<Item> change) {
                return ApplyResult.APPLIED;
            }

            @Override
            public Map<String, Long> versionsOf(Collection<String> ids) {
                return Map.of();
            }

            @Override
            public List<String> idsAfter(String afterExclusive, int limit) {
                return List.of();
            }

            @Override
            public Optional<String> boundEntityType() {
                return Optional.of("products");
            }
        };
        try (DualWriter<Item> writer = DualWriter.<Item>builder().entityType("product").idOf(Item::id)
                .primary(primary).deadLetterStore(new InMemoryDeadLetterStore()).sink("cache", new InMemorySink<>())
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            assertThrows(IllegalStateException.class, () -> Reconciler.<Item>builder().writer(writer).primary(primary)
                    .sink("cache", ofProducts).build(), "a reconciled sink of entity type 'products' on a 'product' writer");
        }
    }
}
