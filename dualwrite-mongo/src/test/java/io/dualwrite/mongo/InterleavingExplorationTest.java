package io.dualwrite.mongo;

import io.dualwrite.testkit.explore.ExplorerItem;
import io.dualwrite.testkit.explore.InterleavingExplorer;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The interleaving explorer against both MongoDB stores (writers on several instances, recovery,
 * lost replies at the command level, failing and slow sinks, a poisoned entity, clock skew and
 * time jumps, adopted documents, REQUIRED and ASYNC sinks). The build explores a fixed range of
 * seeds; {@code -Ddualwrite.explorer.schedules=N} (or {@code -Ddualwrite.explorer.budget=PT1H})
 * explores more, {@code -Ddualwrite.explorer.seed=S} replays one.
 */
@ExtendWith(MongoExtension.class)
class InterleavingExplorationTest {

    @Test
    void everyPromiseHoldsOnTheEmbeddedStoreUnderEveryExploredInterleaving() {
        System.out.println("embedded store: " + InterleavingExplorer.builder(ExplorerWorlds.Embedded::new,
                ExplorerItem.MODEL).sinks("search", "cache").seed(1).schedules(800).build().run());
    }

    @Test
    void everyPromiseHoldsOnTheWriteAheadStoreUnderEveryExploredInterleaving() {
        // the store keeps a write's turn while the caller's own write may still land; its lease (30 s in this world)
        // less the clocks' disagreement bounds how late that write may land
        System.out.println("write-ahead store: " + InterleavingExplorer.builder(ExplorerWorlds.WriteAhead::new,
                ExplorerItem.MODEL).sinks("search", "cache").seed(1).schedules(300)
                .maxNetworkDelay(ExplorerWorlds.WriteAhead.MAX_NETWORK_DELAY).build().run());
    }
}
