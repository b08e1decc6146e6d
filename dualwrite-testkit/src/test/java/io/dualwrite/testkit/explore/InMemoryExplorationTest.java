package io.dualwrite.testkit.explore;

import org.junit.jupiter.api.Test;

/**
 * The interleaving explorer against the in-memory reference store and sinks, every fault enabled.
 * The build explores a fixed range of seeds; {@code -Ddualwrite.explorer.schedules=N} and
 * {@code -Ddualwrite.explorer.seed=S} explore more, or replay one.
 */
class InMemoryExplorationTest {

    @Test
    void everyPromiseHoldsUnderEveryExploredInterleaving() {
        InterleavingExplorer.ExplorationReport report = InterleavingExplorer.builder(InMemoryWorld::new,
                        ExplorerItem.MODEL)
                .sinks("search", "cache").seed(1).schedules(1500).build().run();
        System.out.println("in-memory store: " + report);
    }
}
