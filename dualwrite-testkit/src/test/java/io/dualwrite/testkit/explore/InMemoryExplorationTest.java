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
