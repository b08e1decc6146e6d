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
