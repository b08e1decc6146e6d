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

import java.util.EnumSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The explorer's "a failure says what happened" check attributes to a call every commit of the
 * call's content made while the call runs. A compensation by another writer that writes back a
 * before-image carrying that content (the earlier commit of the same request) is taken for the
 * call's own commit, so a call that honestly failed with "nothing was written" (the primary was
 * down) is reported as a broken promise. Seed 104755 of the in-memory world, just past the range
 * the build explores: A1's request is committed (v…4001), B's REQUIRED compensations write that
 * content back twice (v…4003, v…4005), and A1's retry of the request, refused by a primary that
 * is down, runs while the second compensation commits (as the explorer's shortened schedule of this
 * seed shows step by step), with the faults the explorer drew from before late landings joined them.
 */
class OracleAttributionTest {

    @Test
    void aCompensationByAnotherWriterIsNotTakenForTheCallsOwnCommit() {
        List<String> violations = InterleavingExplorer.builder(InMemoryWorld::new, ExplorerItem.MODEL)
                .sinks("search", "cache").faults(EnumSet.complementOf(EnumSet.of(ExplorerFault.LATE_LANDING))).build()
                .explore(104_755);
        assertEquals(List.of(), violations, "the primary never committed the retry; the content it saw is B's"
                + " compensation of another write");
    }
}
