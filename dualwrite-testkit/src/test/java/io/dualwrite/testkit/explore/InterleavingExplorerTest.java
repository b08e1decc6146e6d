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

import io.dualwrite.spi.Committed;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.testkit.ForwardingPrimaryStore;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The explorer itself: replays exactly, catches a store that breaks a promise, and shortens what it catches. */
class InterleavingExplorerTest {

    private static InterleavingExplorer.Settings<ExplorerItem> settings(ExplorerWorld.Factory<ExplorerItem> worlds) {
        return new InterleavingExplorer.Settings<>(InterleavingExplorer.builder(worlds, ExplorerItem.MODEL)
                .sinks("search", "cache"));
    }

    private static String withoutRandomIds(String trace) {
        return trace.replaceAll("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>");
    }

    @Test
    void aScheduleReplaysStepForStepFromItsDecisions() {
        InterleavingExplorer.Settings<ExplorerItem> s = settings(InMemoryWorld::new);
        for (long seed = 1; seed <= 20; seed++) {
            Run.Outcome first = new Run<>(s, seed, Choices.fromSeed(seed)).execute();
            Run.Outcome again = new Run<>(s, seed, Choices.fromSeed(seed)).execute();
            Run.Outcome replayed = new Run<>(s, seed, Choices.replay(first.choices())).execute();
            assertTrue(first.steps() > 0, "seed " + seed + " took steps");
            assertEquals(withoutRandomIds(first.trace()), withoutRandomIds(again.trace()),
                    "seed " + seed + " runs the same schedule twice");
            assertEquals(withoutRandomIds(first.trace()), withoutRandomIds(replayed.trace()),
                    "seed " + seed + " replays from its recorded decisions");
            assertEquals(first.violations().size(), replayed.violations().size(), "seed " + seed);
        }
    }

    @Test
    void aStoreThatAppliesSomeWritesTwiceIsCaughtWithItsSeedAndAShorterSchedule() {
        InterleavingExplorer.ExplorationFailure failure = assertThrows(InterleavingExplorer.ExplorationFailure.class,
                () -> InterleavingExplorer.builder(spec -> new InMemoryWorld(spec, DoubleApplying::new),
                                ExplorerItem.MODEL)
                        .sinks("search", "cache").faults(EnumSet.noneOf(ExplorerFault.class)).seed(1).schedules(50)
                        .build().run());
        System.out.println(failure.getMessage());
        assertTrue(failure.violations().stream().anyMatch(v -> v.startsWith("[a write is applied once]")),
                "the double application is named: " + failure.violations());
        assertTrue(failure.getMessage().contains("-D" + InterleavingExplorer.SEED_PROPERTY + "=" + failure.seed()),
                "the message says how to replay it");
        List<String> again = InterleavingExplorer.builder(spec -> new InMemoryWorld(spec, DoubleApplying::new),
                        ExplorerItem.MODEL).sinks("search", "cache").faults(EnumSet.noneOf(ExplorerFault.class))
                .build().explore(failure.seed());
        assertEquals(failure.violations(), again, "the seed replays the same failure");
        assertTrue(failure.getMessage().contains("shortened to"), "the schedule was shortened");
        int shortened = Integer.parseInt(failure.getMessage().replaceAll("(?s).*shortened to (\\d+) steps.*", "$1"));
        int original = Integer.parseInt(failure.getMessage().replaceAll("(?s).*steps \\(from (\\d+)\\).*", "$1"));
        assertTrue(shortened < original, "shortened from " + original + " to " + shortened + " steps");
    }

    @Test
    void aStoreThatForgetsIntentsIsCaughtByConvergence() {
        List<String> found = new java.util.ArrayList<>();
        InterleavingExplorer<ExplorerItem> explorer = InterleavingExplorer.builder(
                        spec -> new InMemoryWorld(spec, IntentForgetting::new), ExplorerItem.MODEL)
                .sinks("search", "cache").faults(EnumSet.of(ExplorerFault.SINK_FAILURE)).build();
        for (long seed = 1; seed <= 40 && found.isEmpty(); seed++) {
            found.addAll(explorer.explore(seed));
        }
        assertFalse(found.isEmpty(), "some schedule notices a sink left behind");
        assertTrue(found.stream().anyMatch(v -> v.startsWith("[convergence]")), found.toString());
    }

    @Test
    void aSoakStartsAtTheSeedItIsGivenAndABadSeedIsRefusedByName() {
        InterleavingExplorer<ExplorerItem> explorer = InterleavingExplorer.builder(InMemoryWorld::new, ExplorerItem.MODEL)
                .sinks("search", "cache").seed(1).schedules(3).build();
        try {
            System.setProperty(InterleavingExplorer.FROM_PROPERTY, " 1000000 ");
            InterleavingExplorer.ExplorationReport report = explorer.run();
            assertEquals(1_000_000, report.firstSeed(), report.toString());
            assertEquals(3, report.schedules(), report.toString());
            System.setProperty(InterleavingExplorer.FROM_PROPERTY, "tomorrow");
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, explorer::run);
            assertTrue(bad.getMessage().contains(InterleavingExplorer.FROM_PROPERTY) && bad.getMessage().contains("tomorrow"),
                    bad.getMessage());
        } finally {
            System.clearProperty(InterleavingExplorer.FROM_PROPERTY);
        }
        assertEquals(1, explorer.run().firstSeed(), "without the property the builder's seed is the first");
    }

    /** Applies every third save twice: the second time, like a retry landing late, at its next acknowledgement. */
    static final class DoubleApplying extends ForwardingPrimaryStore<ExplorerItem> {
        private final AtomicInteger commits = new AtomicInteger();
        private volatile PrimaryWrite<ExplorerItem> again;

        DoubleApplying(PrimaryStore<ExplorerItem> delegate) {
            super(delegate);
        }

        @Override
        public Committed<ExplorerItem> commit(PrimaryWrite<ExplorerItem> write) {
            Committed<ExplorerItem> c = super.commit(write);
            if (c.status() == Committed.Status.WRITTEN && write.state().isPresent()
                    && commits.incrementAndGet() % 3 == 0) {
                again = PrimaryWrite.<ExplorerItem>builder().id(write.id()).operation(write.operation())
                        .state(write.state().get()).intents(write.intents()).correlationId(write.correlationId())
                        .time(write.time()).build();
            }
            return c;
        }

        @Override
        public void acknowledge(java.util.Collection<io.dualwrite.spi.Ack> acks) {
            PrimaryWrite<ExplorerItem> w = again;
            again = null;
            if (w != null) {
                super.commit(w);
            }
            super.acknowledge(acks);
        }
    }

    /** Commits the data but none of the intents. */
    static final class IntentForgetting extends ForwardingPrimaryStore<ExplorerItem> {
        IntentForgetting(PrimaryStore<ExplorerItem> delegate) {
            super(delegate);
        }

        @Override
        public Committed<ExplorerItem> commit(PrimaryWrite<ExplorerItem> write) {
            return super.commit(PrimaryWrite.<ExplorerItem>builder().id(write.id()).operation(write.operation())
                    .state(write.state().orElse(null)).expectedVersion(write.expectedVersion().orElse(-1))
                    .requestKey(write.requestKey().orElse(null)).correlationId(write.correlationId())
                    .time(write.time()).build());
        }
    }
}
