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
package io.dualwrite;

import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import io.dualwrite.spi.Snapshot;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Promise 2 (convergence: "every sink reaches the primary's latest committed state, or that
 * entity sits in the dead-letter store with its reason") across a dead-letter replay that runs
 * while another instance dead-letters a newer version of the same entity at the same sink.
 */
class ConvergenceAfterDeadLetterReplayTest {
    private final WriterFixture fx = new WriterFixture();

    /** A versioned sink that refuses (PERMANENT) the states whose name is in {@code refused}. */
    static final class RefusingSink implements Sink<Product> {
        final InMemorySink<Product> target = new InMemorySink<>();
        final Set<String> refused = ConcurrentHashMap.newKeySet();
        volatile Runnable onNextApply;

        @Override
        public ApplyResult apply(Change<Product> change) throws Exception {
            Runnable hook = onNextApply;
            if (hook != null) {
                onNextApply = null;
                hook.run();
            }
            if (change.state().isPresent() && refused.contains(change.state().get().getName())) {
                throw new SinkException("rejected: " + change.state().get().getName(), ErrorKind.PERMANENT, null);
            }
            return target.apply(change);
        }
    }

    @Test
    void aReplayNeverDiscardsTheDeadLetterOfANewerVersionThatFailedWhileItRan() {
        RefusingSink sink = new RefusingSink();
        // two application instances over one primary and one dead-letter store
        try (DualWriter<Product> a = fx.builder().workerId("A").sink("search", sink, WriterFixture.fast().build()).build();
             DualWriter<Product> b = fx.builder().workerId("B").sink("search", sink, WriterFixture.fast().build()).build()) {
            sink.refused.add("v1");
            WriteResult first = a.save(new Product("p1", "v1", 1));
            assertEquals(SinkOutcome.DEAD_LETTERED, first.outcome("search").orElseThrow());
            String dl = DeadLetter.idOf("product", "p1", "search");

            // the sink is fixed for v1's content; v2's content is refused for a reason of its own
            sink.refused.clear();
            sink.refused.add("v2");
            AtomicBoolean wrote = new AtomicBoolean();
            sink.onNextApply = () -> {
                // while the operator's replay of v1 is at the sink, instance B writes v2, which the sink refuses
                WriteResult second = b.save(new Product("p1", "v2", 2));
                wrote.set(second.outcome("search").orElseThrow() == SinkOutcome.DEAD_LETTERED);
            };
            assertEquals(SinkOutcome.APPLIED, a.deadLetters().replay(dl));
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            assertTrue(wrote.get(), "v2 was dead-lettered during the replay");

            Snapshot<Product> now = a.operations().snapshot("p1").orElseThrow();
            boolean sinkCurrent = sink.target.versionOf("p1").orElse(-1) == now.version();
            boolean deadLettered = fx.deadLetters.get(dl).isPresent();
            boolean pending = !now.pending().isEmpty();
            assertTrue(sinkCurrent || deadLettered || pending, "the primary holds v" + now.version()
                    + ", the sink v" + sink.target.versionOf("p1").orElse(-1) + ", and neither a dead letter nor"
                    + " an intent says so: the replay removed the dead letter of the newer version");
        }
    }
}
