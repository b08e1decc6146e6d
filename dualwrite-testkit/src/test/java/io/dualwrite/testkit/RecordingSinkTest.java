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

import io.dualwrite.Change;
import io.dualwrite.Operation;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecordingSinkTest {

    private static Change<TestItem> upsert(String id, long version) {
        return Change.<TestItem>builder().entityType("item").id(id).version(version).operation(Operation.UPSERT)
                .state(TestItem.variant(id, (int) version)).correlationId("c").time(Instant.EPOCH).build();
    }

    @Test
    void countsAppliedAndIgnoredDeliveriesPerVersion() throws Exception {
        RecordingSink<TestItem> sink = new RecordingSink<>(new InMemorySink<>());
        sink.apply(upsert("a", 2));
        sink.apply(upsert("a", 2));
        sink.apply(upsert("a", 1));
        sink.applyAll(List.of(upsert("a", 3), upsert("b", 1), upsert("a", 3)));
        assertEquals(1, sink.appliedCount("a", 2), "a@2 changed the destination once");
        assertEquals(1, sink.ignoredCount("a", 2), "the redelivery of a@2 was ignored");
        assertEquals(1, sink.ignoredCount("a", 1), "the late a@1 was ignored");
        assertEquals(List.of(2L, 3L), sink.appliedVersions("a"), "a's effective versions");
        assertEquals(3, sink.appliedCount(), "three deliveries changed the destination");
        assertEquals(3, sink.ignoredCount(), "three deliveries were ignored");
        assertTrue(sink.repeatedEffects().isEmpty(), "a version-guarded sink applies each version at most once");
        sink.assertEachVersionAppliedAtMostOnce();
    }

    @Test
    void catchesADestinationThatAppliesAVersionTwice() throws Exception {
        Sink<TestItem> unguarded = change -> ApplyResult.APPLIED;
        RecordingSink<TestItem> sink = new RecordingSink<>(unguarded);
        sink.apply(upsert("a", 5));
        sink.apply(upsert("a", 5));
        assertEquals(List.of("a@5 applied 2 times"), sink.repeatedEffects(), "the repeated effect must be listed");
        AssertionError e = assertThrows(AssertionError.class, sink::assertEachVersionAppliedAtMostOnce);
        assertTrue(e.getMessage().contains("a@5 applied 2 times"), "the failure must name the version: " + e.getMessage());
    }

    @Test
    void countsFailuresAndRethrowsThem() {
        Sink<TestItem> failing = change -> {
            throw new java.io.IOException("down");
        };
        RecordingSink<TestItem> sink = new RecordingSink<>(failing);
        assertThrows(java.io.IOException.class, () -> sink.apply(upsert("a", 1)), "the failure must propagate");
        List<Sink.BatchItem> items = sink.applyAll(List.of(upsert("a", 2)));
        assertTrue(!items.get(0).succeeded(), "the batch item must fail");
        assertEquals(2, sink.failedCount(), "both failures must be counted");
        assertEquals(0, sink.appliedCount("a", 1), "nothing was applied");
    }
}
