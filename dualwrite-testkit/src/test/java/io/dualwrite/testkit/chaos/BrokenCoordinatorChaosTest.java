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
package io.dualwrite.testkit.chaos;

import io.dualwrite.Change;
import io.dualwrite.spi.Ack;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.IntentSpec;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.testkit.ForwardingPrimaryStore;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.convergence.Discrepancy;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chaos run must notice a broken coordinator: each test swaps in one deliberately broken
 * piece and asserts that the run reports the broken promise with its seed and a diff.
 */
class BrokenCoordinatorChaosTest {

    /** Acknowledges every intent as soon as it is committed, before any sink was delivered. */
    static final class AcknowledgesBeforeDelivery extends ForwardingPrimaryStore<TestItem> {
        AcknowledgesBeforeDelivery(PrimaryStore<TestItem> delegate) {
            super(delegate);
        }

        @Override
        public Committed<TestItem> commit(PrimaryWrite<TestItem> write) {
            Committed<TestItem> c = super.commit(write);
            if (c.status() == Committed.Status.WRITTEN) {
                List<Ack> acks = new ArrayList<>();
                for (IntentSpec spec : write.intents()) {
                    acks.add(new Ack(c.id(), spec.sink(), c.version(), c.intentRef().orElse(null)));
                }
                super.acknowledge(acks);
            }
            return c;
        }
    }

    /** A sink without its version guard: the last delivery wins, whatever its version. */
    static final class LastDeliveryWinsSink implements ReconcilableSink<TestItem> {
        private final Map<String, Long> live = new ConcurrentSkipListMap<>();

        @Override
        public ApplyResult apply(Change<TestItem> change) {
            if (change.isDelete()) {
                live.remove(change.id());
            } else {
                live.put(change.id(), change.version());
            }
            return ApplyResult.APPLIED;
        }

        @Override
        public Map<String, Long> versionsOf(Collection<String> ids) {
            Map<String, Long> out = new LinkedHashMap<>();
            for (String id : ids) {
                Long v = live.get(id);
                if (v != null) {
                    out.put(id, v);
                }
            }
            return out;
        }

        @Override
        public List<String> idsAfter(String afterExclusive, int limit) {
            Map<String, Long> tail = afterExclusive == null ? live
                    : ((ConcurrentSkipListMap<String, Long>) live).tailMap(afterExclusive, false);
            return tail.keySet().stream().limit(limit).toList();
        }
    }

    @Test
    void acknowledgingBeforeDeliveryLosesUpdatesAndTheRunSaysSo() {
        long seed = 4242;
        ChaosReport report = ChaosRunner.builder().seed(seed).operations(1_500)
                .primaryWrapper(AcknowledgesBeforeDelivery::new).build().run();
        assertFalse(report.promisesKept(), "a coordinator that acknowledges before delivering must break a promise");
        long lost = report.convergence().count(Discrepancy.Kind.MISSING) + report.convergence().count(Discrepancy.Kind.STALE)
                + report.convergence().count(Discrepancy.Kind.ORPHAN);
        assertTrue(lost > 0, "lost deliveries must show as missing, stale or orphan entities: " + report.convergence());
        assertTrue(report.convergence().count("analytics", Discrepancy.Kind.MISSING) > 0,
                "the ASYNC sink, which only recovery feeds, must miss entities: " + report.convergence());
        AssertionError e = assertThrows(AssertionError.class, report::assertPromisesKept,
                "assertPromisesKept must fail");
        assertTrue(e.getMessage().contains("seed " + seed), "the failure must name the seed: " + e.getMessage());
        assertTrue(e.getMessage().contains("MISSING") && e.getMessage().contains("primary live@"),
                "the failure must show the diff with both sides: " + e.getMessage());
    }

    @Test
    void aSinkWithoutItsVersionGuardAppliesEffectsTwiceAndTheRunSaysSo() {
        long seed = 777;
        ChaosReport report = ChaosRunner.builder().seed(seed).operations(1_500).poisoned(0)
                .sinkFactory(LastDeliveryWinsSink::new).build().run();
        assertFalse(report.promisesKept(), "a sink without a version guard must break a promise under duplicates");
        assertFalse(report.repeatedEffects().isEmpty(),
                "duplicate deliveries must show as versions applied more than once");
        AssertionError e = assertThrows(AssertionError.class, report::assertPromisesKept,
                "assertPromisesKept must fail");
        assertTrue(e.getMessage().contains("seed " + seed) && e.getMessage().contains("applied 2 times"),
                "the failure must name the seed and the repeated effects: " + e.getMessage());
    }
}
