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
package io.dualwrite.reconcile;

import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ReconcileCheckpoint;
import io.micrometer.core.instrument.Counter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReconcilerTest {

    private static Map<String, Long> expectedSearchAfterRepair(ReconcileFixture f) {
        Map<String, Long> expected = new TreeMap<>(f.primaryLive());
        expected.put(ReconcileFixture.id(15), f.version(ReconcileFixture.id(15)) + 5); // the phantom stays, reported
        return expected;
    }

    @ParameterizedTest(name = "digests={0}")
    @ValueSource(booleans = {false, true})
    void dryRunFindsEveryDriftClassAndTouchesNoSink(boolean digests) {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            f.injectInto(f.search);
            Map<String, Long> searchBefore = f.search.liveVersions();
            Map<String, Long> cacheBefore = f.cache.liveVersions();
            long appliedBefore = f.search.appliedCount() + f.cache.appliedCount();

            ReconcileReport dry = f.reconciler().useDigests(digests).build().dryRun(ReconcileScope.all());

            assertEquals(RunStatus.COMPLETED, dry.status(), dry.summary());
            assertEquals(2, dry.count("search", DriftClass.MISSING), "search misses i-0003 and i-9000");
            assertEquals(1, dry.count("search", DriftClass.STALE), "search is behind on i-0007");
            assertEquals(2, dry.count("search", DriftClass.ORPHAN), "search holds deleted i-0011 and zz-ghost");
            assertEquals(1, dry.count("search", DriftClass.AHEAD), "search is ahead on i-0015");
            assertEquals(36, dry.count("search", DriftClass.IN_SYNC), dry.summary());
            assertEquals(1, dry.count("cache", DriftClass.MISSING), "cache misses i-9000");
            assertEquals(1, dry.count("cache", DriftClass.ORPHAN), "cache holds deleted i-0011");
            assertEquals(39, dry.count("cache", DriftClass.IN_SYNC), dry.summary());
            assertEquals(0, dry.repaired(), "a dry run repairs nothing");
            assertEquals(searchBefore, f.search.liveVersions(), "a dry run leaves the sink as it was");
            assertEquals(cacheBefore, f.cache.liveVersions(), "a dry run leaves the sink as it was");
            assertEquals(appliedBefore, f.search.appliedCount() + f.cache.appliedCount(), "a dry run sends nothing");
            assertEquals(List.of(dry), f.reconciler().build().history(10), "the dry run's report is stored");
            List<String> sampleLines = new ArrayList<>();
            dry.samples().forEach(e -> sampleLines.add(e.toText()));
            long v7 = f.version(ReconcileFixture.id(7));
            long v11 = f.version(ReconcileFixture.id(11));
            long v15 = f.version(ReconcileFixture.id(15));
            assertEquals(List.of(
                    "cache i-0011 ORPHAN DELETE_ORPHAN primary=" + v11 + " sink=" + (v11 - 1),
                    "cache i-9000 MISSING REPUBLISH primary=" + f.version("i-9000") + " sink=0",
                    "search i-0003 MISSING REPUBLISH primary=" + f.version(ReconcileFixture.id(3)) + " sink=0",
                    "search i-0007 STALE REPUBLISH primary=" + v7 + " sink=" + (v7 - 1),
                    "search i-0011 ORPHAN DELETE_ORPHAN primary=" + v11 + " sink=" + (v11 - 1),
                    "search i-0015 AHEAD NOTHING primary=" + v15 + " sink=" + (v15 + 5),
                    "search i-9000 MISSING REPUBLISH primary=" + f.version("i-9000") + " sink=0",
                    "search zz-ghost ORPHAN DELETE_ORPHAN primary=0 sink=42"), sampleLines,
                    "the samples list every drifted id, sorted by sink then id");
        }
    }

    @ParameterizedTest(name = "digests={0}")
    @ValueSource(booleans = {false, true})
    void applyRepairsEveryClassButAheadAndASecondRunFindsNothingNew(boolean digests) {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            f.injectInto(f.search);
            Reconciler reconciler = f.reconciler().useDigests(digests).build();

            ReconcileReport first = reconciler.apply(ReconcileScope.all());

            assertEquals(RunStatus.COMPLETED, first.status(), first.summary());
            assertEquals(4, first.actions(RepairOutcome.REPUBLISHED), "i-0003, i-0007, i-9000 twice: " + first.summary());
            assertEquals(3, first.actions(RepairOutcome.ORPHAN_DELETED), "i-0011 twice and zz-ghost: " + first.summary());
            assertEquals(0, first.actions(RepairOutcome.DEFERRED) + first.actions(RepairOutcome.DEAD_LETTERED), first.summary());
            assertEquals(expectedSearchAfterRepair(f), f.search.liveVersions(), "search matches the primary but for the phantom");
            assertEquals(f.primaryLive(), f.cache.liveVersions(), "cache matches the primary");
            assertEquals(new Item("i-9000", "written while the sinks were away", 1), f.search.get("i-9000").orElseThrow(),
                    "the primary's state was republished, not invented");
            assertTrue(f.search.isDeleted("zz-ghost"), "the orphan left a tombstone");
            assertEquals(43, f.search.versionOf("zz-ghost").getAsLong(), "an orphan's delete carries held version + 1");
            assertEquals(f.version(ReconcileFixture.id(11)), f.search.versionOf(ReconcileFixture.id(11)).getAsLong(),
                    "a deleted entity's orphan is deleted at the tombstone's version");

            ReconcileReport second = reconciler.apply(ReconcileScope.all());

            assertEquals(1, second.drift(), "only the phantom is left, and it is reported again: " + second.summary());
            assertEquals(1, second.count("search", DriftClass.AHEAD), second.summary());
            assertEquals(0, second.repaired(), "the second run changes nothing");
            assertEquals(expectedSearchAfterRepair(f), f.search.liveVersions(), "the second run changes nothing");
            assertEquals(2.0, f.meters.find(ReconcileMetrics.PHANTOMS).tag("sink", "search").counter().count(),
                    "each run counts the phantom");
            assertEquals(7.0, f.meters.find(ReconcileMetrics.REPAIRED).counters().stream().mapToDouble(Counter::count).sum(),
                    "the repaired meter counts the first run's repairs");
            assertEquals(2, f.meters.find(ReconcileMetrics.RUN).tag("mode", "APPLY").tag("status", "COMPLETED").timer().count(),
                    "two timed runs");
            assertNotEquals(first.runId(), second.runId(), "each run has its own id");
            assertEquals(List.of(second, first), reconciler.history(5), "the audit log, latest first");
        }
    }

    @Test
    void plansAreByteIdenticalForTheSameInputsWhicheverPathComparesThem() {
        String[] json = new String[4];
        for (int i = 0; i < 2; i++) {
            try (ReconcileFixture f = new ReconcileFixture().seed(60)) {
                f.injectCommon();
                f.injectInto(f.search);
                f.injectInto(f.cache);
                json[2 * i] = f.reconciler().useDigests(false).build().plan(ReconcileScope.all()).toJson();
                json[2 * i + 1] = f.reconciler().useDigests(true).build().plan(ReconcileScope.all()).toJson();
            }
        }
        assertEquals(json[0], json[2], "two fixtures built alike give the same plan, byte for byte");
        assertEquals(json[0], json[1], "the digest path plans exactly what the id-by-id path plans");
        assertEquals(json[0], json[3], "the digest path plans exactly what the id-by-id path plans");
        ReconcilePlan plan = ReconcilePlan.fromJson(json[0]);
        assertEquals(json[0], plan.toJson(), "the JSON form reads back to the same bytes");
        assertEquals(12, plan.entries().size(), plan.toText());
        assertEquals(List.of("cache", "search"), plan.sinks());
        assertTrue(plan.toText().contains("search zz-ghost ORPHAN DELETE_ORPHAN primary=0 sink=42"), plan.toText());
    }

    @Test
    void planTouchesNothingAndStoresNothing() {
        try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
            f.injectCommon();
            Reconciler reconciler = f.reconciler().build();
            ReconcilePlan plan = reconciler.plan(ReconcileScope.all());
            assertEquals(4, plan.drift(), plan.toText());
            assertFalse(plan.inSync());
            assertTrue(reconciler.history(5).isEmpty(), "plan() stores no report");
            assertEquals(0, f.search.versionsOf(List.of("i-9000")).size(), "plan() repairs nothing");
        }
    }

    @ParameterizedTest(name = "digests={0}")
    @ValueSource(booleans = {false, true})
    void aRunKilledHalfwayResumesFromItsCheckpointAndEndsLikeAnUninterruptedOne(boolean digests) {
        ReconcileReport uninterrupted;
        Map<String, Long> searchUninterrupted;
        Map<String, Long> cacheUninterrupted;
        try (ReconcileFixture f = new ReconcileFixture().seed(60)) {
            f.injectCommon();
            f.injectInto(f.search);
            f.injectInto(f.cache);
            uninterrupted = f.reconciler().useDigests(digests).build().apply(ReconcileScope.all());
            searchUninterrupted = f.search.liveVersions();
            cacheUninterrupted = f.cache.liveVersions();
        }
        try (ReconcileFixture f = new ReconcileFixture().seed(60)) {
            f.injectCommon();
            f.injectInto(f.search);
            f.injectInto(f.cache);
            HookedSink crashing = new HookedSink(f.search);
            // the comparison of the second chunk (i-0008..i-0015) fails: the first is done and checkpointed
            crashing.failOnVersionsOf = ReconcileFixture.id(15);
            ReconcileScope scope = ReconcileScope.all();

            ReconcileException crash = assertThrows(ReconcileException.class,
                    () -> f.reconciler(crashing, f.cache).useDigests(digests).build().apply(scope));

            assertEquals(RunStatus.FAILED, crash.report().status());
            assertTrue(crash.report().errors().get(0).contains("connection reset"), crash.report().errors().toString());
            Reconciler healthy = f.reconciler().useDigests(digests).build();
            ReconcileReport checkpoint = healthy.unfinished(scope).orElseThrow(() -> new AssertionError("no checkpoint"));
            assertTrue(checkpoint.chunks() > 0, "the crashed run checkpointed at least one chunk: " + checkpoint.summary());

            ReconcileReport resumed = healthy.apply(scope);

            assertEquals(crash.report().runId(), resumed.runId(), "the resumed run is the same run");
            assertEquals(1, resumed.resumes());
            assertEquals(uninterrupted.counts(), resumed.counts(), "the same drift found as without the crash");
            assertEquals(uninterrupted.actions(), resumed.actions(), "the same repairs as without the crash");
            assertEquals(uninterrupted.idsCovered(), resumed.idsCovered());
            assertEquals(uninterrupted.chunks(), resumed.chunks(), "no chunk done twice, none skipped");
            assertEquals(searchUninterrupted, f.search.liveVersions(), "the sink ends as without the crash");
            assertEquals(cacheUninterrupted, f.cache.liveVersions(), "the sink ends as without the crash");
            assertTrue(healthy.unfinished(scope).isEmpty(), "a finished run leaves no checkpoint");
            assertEquals(0, healthy.apply(scope).repaired(), "running it again changes nothing");
        }
    }

    @Test
    void anAbandonedRunStartsAgainFromTheBeginning() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            HookedSink crashing = new HookedSink(f.search);
            crashing.failOnVersionsCall = 3;
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            ReconcileException crash = assertThrows(ReconcileException.class,
                    () -> f.reconciler(crashing, f.cache).useDigests(false).build().apply(scope));
            Reconciler healthy = f.reconciler().useDigests(false).build();
            assertTrue(healthy.abandon(ReconcileScope.all()).isEmpty(), "another scope has no unfinished run");

            ReconcileReport abandoned = healthy.abandon(scope).orElseThrow();

            assertEquals(crash.report().runId(), abandoned.runId());
            assertEquals(RunStatus.FAILED, abandoned.status());
            assertTrue(abandoned.errors().get(abandoned.errors().size() - 1).startsWith("abandoned at sink 'search'"),
                    abandoned.errors().toString());
            assertTrue(healthy.unfinished(scope).isEmpty(), "the checkpoint is gone");
            assertEquals(abandoned, healthy.history(1).get(0), "the abandoned run's report is in the audit log");
            ReconcileReport fresh = healthy.apply(scope);
            assertNotEquals(abandoned.runId(), fresh.runId(), "the next run is a new one");
            assertEquals(0, fresh.resumes());
            assertEquals(41, fresh.idsCovered(), "it covered everything from the beginning: " + fresh.summary());
        }
    }

    /**
     * A checkpoint of a run whose report says COMPLETED (a crash between the report and the checkpoint's removal, or a
     * late write by a holder that had lost the run) is stale: not shown as unfinished, not abandoned over the completed
     * report, and not resumed, so the next run covers every id.
     */
    @Test
    void aCheckpointOfARunThatCompletedIsNeitherResumedNorAbandoned() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            Reconciler reconciler = f.reconciler().useDigests(false).build();
            ReconcileReport completed = reconciler.apply(scope);
            assertEquals(RunStatus.COMPLETED, completed.status(), completed.summary());
            ReconcileCheckpoint mid = f.store.checkpointsSeen().get(1);
            String runKey = mid.runKey();
            assertEquals(completed.runId(), mid.report().runId());
            f.store.saveCheckpoint(mid); // the late write

            assertTrue(reconciler.unfinished(scope).isEmpty(), "a completed run is not unfinished");
            assertTrue(reconciler.abandon(scope).isEmpty(), "nor can it be abandoned");
            assertEquals(completed, reconciler.history(1).get(0), "its report still says COMPLETED");
            ReconcileReport next = reconciler.apply(scope);

            assertNotEquals(completed.runId(), next.runId(), "a new run, not the completed one resumed");
            assertEquals(0, next.resumes());
            assertEquals(completed.idsCovered(), next.idsCovered(), "it covered every id again: " + next.summary());
            assertTrue(f.store.checkpoint(runKey).isEmpty(), "the new run's end removed the stale checkpoint");
        }
    }

    @Test
    void scopedRunsTouchOnlyTheirIdsAndSinks() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            f.injectInto(f.search);
            f.injectInto(f.cache);
            Reconciler reconciler = f.reconciler().build();

            ReconcileReport range = reconciler.apply(ReconcileScope.range(ReconcileFixture.id(5), ReconcileFixture.id(12)));
            assertEquals(7 * 2, range.idsCovered(), "i-0006 to i-0012 on two sinks: " + range.summary());
            assertEquals(2, range.count(DriftClass.STALE), "i-0007 on both sinks");
            assertEquals(2, range.count(DriftClass.ORPHAN), "i-0011 on both sinks");
            assertEquals(0, range.count(DriftClass.MISSING), "i-0003 and i-9000 lie outside the range");
            assertTrue(f.search.get(ReconcileFixture.id(3)).isEmpty(), "outside the range nothing is repaired");
            assertTrue(f.search.get("zz-ghost").isPresent(), "outside the range nothing is repaired");

            ReconcileReport ids = reconciler.apply(ReconcileScope.ids(List.of("zz-ghost", ReconcileFixture.id(3),
                    "no-such-id")).sinks("search"));
            assertEquals(List.of("search"), ids.sinks());
            assertEquals(1, ids.count("search", DriftClass.MISSING), ids.summary());
            assertEquals(1, ids.count("search", DriftClass.ORPHAN), ids.summary());
            assertEquals(1, ids.count("search", DriftClass.IN_SYNC), "an id neither side holds is in sync");
            assertTrue(f.search.get(ReconcileFixture.id(3)).isPresent(), "the listed id was republished");
            assertTrue(f.cache.get(ReconcileFixture.id(3)).isEmpty(), "the other sink was not touched");
            assertTrue(f.cache.get("zz-ghost").isPresent(), "the other sink was not touched");

            ReconcileReport cacheOnly = reconciler.apply(ReconcileScope.all().sinks("cache"));
            assertEquals(List.of("cache"), cacheOnly.sinks());
            assertEquals(3, cacheOnly.repaired(), "i-0003, i-9000 and zz-ghost: " + cacheOnly.summary());
            assertEquals(f.version(ReconcileFixture.id(15)) + 5, f.search.versionOf(ReconcileFixture.id(15)).getAsLong());
            assertEquals(1, reconciler.apply(ReconcileScope.all()).repaired(), "search's i-9000 was left; now repaired");
        }
    }

    @Test
    void aScopeNamingAnUnknownSinkIsRejected() {
        try (ReconcileFixture f = new ReconcileFixture().seed(2)) {
            Reconciler reconciler = f.reconciler().build();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> reconciler.dryRun(ReconcileScope.all().sinks("nope")));
            assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ReconcileScope.range("b", "a"));
            assertThrows(IllegalArgumentException.class, () -> ReconcileScope.ids(List.of()));
            assertThrows(NullPointerException.class, () -> reconciler.apply(null));
        }
    }

    @Test
    void aSinkTheWriterDoesNotKnowIsRejectedAtBuild() {
        try (ReconcileFixture f = new ReconcileFixture()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Reconciler.<Item>builder()
                    .writer(f.writer).primary(f.primary).sink("other", new InMemorySink<>()).build());
            assertTrue(e.getMessage().contains("'other'"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> Reconciler.<Item>builder().primary(f.primary)
                    .sink("search", f.search).build());
            assertThrows(IllegalStateException.class, () -> Reconciler.<Item>builder().writer(f.writer)
                    .primary(f.primary).build());
            assertThrows(IllegalArgumentException.class, () -> Reconciler.<Item>builder().chunkSize(0));
        }
    }

    @Test
    void aListenerThatThrowsAnErrorIsLoggedAndIgnored() {
        try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
            f.search.force(ReconcileFixture.id(2), 0, null);
            ReconcileListener broken = new ReconcileListener() {
                @Override
                public void onProgress(ReconcileProgress progress) {
                    throw new AssertionError("a broken progress bar (an assert in a listener)");
                }

                @Override
                public void onFinished(ReconcileReport report) {
                    throw new AssertionError("a broken summary");
                }
            };
            ReconcileReport report = f.reconciler().listener(broken).build().apply(ReconcileScope.all());
            assertEquals(RunStatus.COMPLETED, report.status(), report.summary());
            assertEquals(1, report.repaired(), report.summary());
        }
    }

}
