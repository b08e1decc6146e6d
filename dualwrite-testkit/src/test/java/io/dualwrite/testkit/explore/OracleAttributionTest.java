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
