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

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReconcileApplyTest {

    @Test
    void everyRepairTakesOnePermitAndNoBatchTakesMoreThanTheLimitAllows() {
        try (ReconcileFixture f = new ReconcileFixture().seed(30)) {
            for (int i = 0; i < 30; i += 2) {
                f.search.force(ReconcileFixture.id(i), 0, null); // 15 ids lost
            }
            RateLimiter limiter = RateLimiter.of("test", RateLimiterConfig.custom().limitForPeriod(4)
                    .limitRefreshPeriod(Duration.ofMillis(5)).timeoutDuration(Duration.ofSeconds(2)).build());
            List<Integer> grants = new CopyOnWriteArrayList<>();
            limiter.getEventPublisher().onSuccess(e -> grants.add(e.getNumberOfPermits()));

            ReconcileReport report = f.reconciler().rateLimiter(limiter).build().apply(ReconcileScope.all());

            assertEquals(15, report.actions(RepairOutcome.REPUBLISHED), report.summary());
            assertEquals(15, grants.stream().mapToInt(Integer::intValue).sum(), "one permit per repaired id: " + grants);
            assertTrue(grants.stream().allMatch(n -> n >= 1 && n <= 4), "no grant above the limit per period: " + grants);
            assertEquals(f.primaryLive(), f.search.liveVersions());
        }
    }

    @Test
    void aDryRunTakesNoPermit() {
        try (ReconcileFixture f = new ReconcileFixture().seed(10)) {
            f.search.force(ReconcileFixture.id(1), 0, null);
            RateLimiter limiter = RateLimiter.of("test", RateLimiterConfig.custom().limitForPeriod(4)
                    .limitRefreshPeriod(Duration.ofSeconds(1)).timeoutDuration(Duration.ZERO).build());
            AtomicInteger grants = new AtomicInteger();
            limiter.getEventPublisher().onSuccess(e -> grants.addAndGet(e.getNumberOfPermits()));
            assertEquals(1, f.reconciler().rateLimiter(limiter).build().dryRun(ReconcileScope.all()).drift());
            assertEquals(0, grants.get(), "a dry run asks for no permit");
        }
    }

    @ParameterizedTest(name = "digests={0}")
    @ValueSource(booleans = {false, true})
    void aWriteDuringTheRunIsNotRepairedBackwards(boolean digests) {
        try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
            String stale = ReconcileFixture.id(4);
            long v = f.version(stale);
            f.search.force(stale, v - 1, new Item(stale, "old", 0));
            f.search.force("zz-orphan", 7, new Item("zz-orphan", "left over", 1));
            HookedSink reader = new HookedSink(f.search);
            AtomicBoolean written = new AtomicBoolean();
            reader.afterVersionsOf = ids -> {
                // the application writes both ids right after the reconciler compared them
                if (ids.contains(stale) && written.compareAndSet(false, true)) {
                    f.writer.save(new Item(stale, "written during the run", 5));
                }
                if (ids.contains("zz-orphan") && f.primary.read("zz-orphan").isEmpty()) {
                    f.writer.save(new Item("zz-orphan", "created during the run", 1));
                }
            };

            ReconcileReport report = f.reconciler(reader, f.cache).useDigests(digests).build()
                    .apply(ReconcileScope.all().sinks("search"));

            assertEquals(1, report.count("search", DriftClass.STALE), report.summary());
            assertEquals(1, report.count("search", DriftClass.ORPHAN), report.summary());
            assertEquals(2, report.actions(RepairOutcome.SUPERSEDED), "both planned repairs were re-checked and dropped: "
                    + report.summary());
            assertEquals(0, report.repaired(), report.summary());
            assertEquals(v + 1, f.search.versionOf(stale).getAsLong(), "the sink keeps the newer write");
            assertEquals("written during the run", f.search.get(stale).orElseThrow().name(), "not repaired backwards");
            assertEquals("created during the run", f.search.get("zz-orphan").orElseThrow().name(),
                    "an id created during the run is not deleted as an orphan");
            assertEquals(0, f.reconciler().build().apply(ReconcileScope.all()).drift(), "everything converged");
        }
    }

    @Test
    void progressReportsChunksRateAndTimeLeftOnceASizeIsKnown() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            List<ReconcileProgress> seen = new ArrayList<>();
            List<ReconcileReport> finished = new ArrayList<>();
            ReconcileListener listener = new ReconcileListener() {
                @Override
                public void onProgress(ReconcileProgress progress) {
                    seen.add(progress);
                }

                @Override
                public void onFinished(ReconcileReport report) {
                    finished.add(report);
                }
            };
            Reconciler reconciler = f.reconciler().useDigests(false).listener(listener).build();
            ReconcileReport first = reconciler.dryRun(ReconcileScope.all().sinks("search"));
            assertEquals(5, seen.size(), "40 ids in chunks of 8: " + seen);
            for (int i = 0; i < seen.size(); i++) {
                assertEquals(i + 1, seen.get(i).chunksDone());
                assertEquals(8L * (i + 1), seen.get(i).idsDone());
                assertEquals(-1, seen.get(i).estimatedTotal(), "the first run of a scope knows no size");
                assertTrue(seen.get(i).estimatedTimeLeft().isEmpty());
            }
            assertEquals(List.of(first), finished);

            seen.clear();
            reconciler.dryRun(ReconcileScope.all().sinks("search"));
            assertEquals(40, seen.get(0).estimatedTotal(), "the last completed run of the scope gives the size");
            ReconcileProgress last = seen.get(seen.size() - 1);
            assertEquals(1.0, last.fractionDone().orElseThrow());
            assertTrue(last.idsPerSecond() > 0, "a rate: " + last);
            assertEquals(Duration.ZERO, last.estimatedTimeLeft().orElseThrow(), "nothing left at the end");

            seen.clear();
            reconciler.dryRun(ReconcileScope.ids(List.of("a", "b", "c")));
            assertEquals(6, seen.get(0).estimatedTotal(), "a list of ids knows its size: 3 ids, 2 sinks");
        }
    }

    @Test
    void aListenerThatThrowsIsIgnored() {
        try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
            f.search.force(ReconcileFixture.id(2), 0, null);
            ReconcileListener broken = new ReconcileListener() {
                @Override
                public void onProgress(ReconcileProgress progress) {
                    throw new IllegalStateException("a broken progress bar");
                }

                @Override
                public void onFinished(ReconcileReport report) {
                    throw new IllegalStateException("a broken progress bar");
                }
            };
            ReconcileReport report = f.reconciler().listener(broken).build().apply(ReconcileScope.all());
            assertEquals(RunStatus.COMPLETED, report.status());
            assertEquals(1, report.repaired());
        }
    }

    @Test
    void reportsReadBackFromJsonAndSummariseInOneLine() {
        try (ReconcileFixture f = new ReconcileFixture().seed(12)) {
            f.injectCommon();
            ReconcileReport report = f.reconciler().build().apply(ReconcileScope.all());
            ReconcileReport back = ReconcileReport.fromJson(report.toJson());
            assertEquals(report, back, "a report survives its JSON form");
            assertFalse(report.summary().contains("\n"), "one line");
            assertTrue(report.summary().contains("republished 2, orphans deleted 2"), report.summary());
            assertEquals(ReconcileFixture.T0, report.startedAt());
            assertTrue(report.toJson().contains("\"startedAt\":\"2026-01-01T00:00:00Z\""), report.toJson());
        }
    }

    @Test
    void aDeleteTheSinkHoldsAtThePrimarysVersionIsBeatenByANewVersionAndANewerOneIsReportedAsAPhantom() {
        try (ReconcileFixture f = new ReconcileFixture().seed(10)) {
            String removed = ReconcileFixture.id(2);
            String phantom = ReconcileFixture.id(5);
            long removedAt = f.version(removed);
            long phantomAt = f.version(phantom);
            f.search.force(removed, removedAt, null); // a delete at the primary's own version (a ramp that was lowered)
            f.search.force(phantom, phantomAt + 5, null); // a delete the primary never committed

            ReconcileReport report = f.reconciler().build().apply(ReconcileScope.all().sinks("search"));

            assertEquals(2, report.count("search", DriftClass.MISSING), report.summary());
            assertEquals(1, report.actions(RepairOutcome.REWRITTEN), report.summary());
            assertEquals(removedAt + 1, f.search.liveVersions().get(removed), "committed again, and delivered");
            assertFalse(f.search.liveVersions().containsKey(phantom));
            assertTrue(report.errors().stream().anyMatch(e -> e.contains(phantom) && e.contains("phantom delete")),
                    report.errors().toString());
            assertEquals(1.0, f.meters.get(ReconcileMetrics.PHANTOMS).counter().count());
        }
    }
}
