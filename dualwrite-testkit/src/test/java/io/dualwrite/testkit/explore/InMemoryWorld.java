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
package io.dualwrite.testkit.explore;

import io.dualwrite.DualWriter;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.testkit.convergence.SinkView;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/** The in-memory reference store and sinks, as a world for the explorer; optionally with a store wrapper. */
final class InMemoryWorld implements ExplorerWorld<ExplorerItem> {
    private final InMemoryPrimaryStore<ExplorerItem> store = new InMemoryPrimaryStore<>();
    private final PrimaryStore<ExplorerItem> wrapped;
    private final InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
    private final Map<String, InMemorySink<ExplorerItem>> sinks = new LinkedHashMap<>();

    InMemoryWorld(Spec spec) {
        this(spec, UnaryOperator.identity());
    }

    InMemoryWorld(Spec spec, UnaryOperator<PrimaryStore<ExplorerItem>> wrapper) {
        this.wrapped = wrapper.apply(store);
        spec.sinks().forEach(name -> sinks.put(name, new InMemorySink<>()));
    }

    @Override
    public DualWriter<ExplorerItem> writer(ExplorerNode<ExplorerItem> node) {
        DualWriterBuilder<ExplorerItem> b = node.configure(DualWriter.<ExplorerItem>builder())
                .entityType("item").idOf(ExplorerItem::id)
                .primary(node.primary(wrapped)).deadLetterStore(deadLetters);
        sinks.forEach((name, sink) -> node.register(b, name, sink));
        return b.build();
    }

    @Override
    public PrimaryStore<ExplorerItem> observer() {
        return store;
    }

    @Override
    public SinkView<ExplorerItem> view(String sink) {
        return SinkView.of(sinks.get(sink));
    }

    @Override
    public void close() {
    }
}
