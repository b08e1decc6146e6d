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

import io.dualwrite.DualWriter;
import io.dualwrite.RecoveryReport;
import io.dualwrite.RequiredSinkFailedException;
import io.dualwrite.VersionConflictException;
import io.dualwrite.WriteOptions;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.internal.AdjustableClock;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The operations of a chaos run and their counts: half blind saves, three tenths updates
 * (read, then write with the expected version), a fifth deletes, over a small set of ids.
 * Thread-safe.
 */
final class Workload {
    final AtomicLong saves = new AtomicLong();
    final AtomicLong updates = new AtomicLong();
    final AtomicLong deletes = new AtomicLong();
    final AtomicLong conflicts = new AtomicLong();
    final AtomicLong compensations = new AtomicLong();
    final AtomicLong errorCount = new AtomicLong();
    final List<String> errors = Collections.synchronizedList(new ArrayList<>());

    static List<String> ids(int entities) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < entities; i++) {
            ids.add(String.format("item-%04d", i));
        }
        return ids;
    }

    /** One operation; version conflicts and compensations are counted, anything else is an error. */
    void step(DualWriter<TestItem> writer, List<String> ids, Random random, long op) {
        String id = ids.get(random.nextInt(ids.size()));
        double x = random.nextDouble();
        int variant = (int) (op % Integer.MAX_VALUE);
        try {
            if (x < 0.5) {
                saves.incrementAndGet();
                writer.save(TestItem.variant(id, variant));
            } else if (x < 0.8) {
                updates.incrementAndGet();
                Optional<Snapshot<TestItem>> s = writer.operations().snapshot(id);
                long expected = s.map(Snapshot::version).orElse(0L);
                TestItem base = s.flatMap(Snapshot::state).orElse(TestItem.variant(id, variant));
                TestItem changed = new TestItem(id, "updated by op " + op, base.price() + 1, base.tags());
                writer.save(changed, WriteOptions.builder().expectedVersion(expected).build());
            } else {
                deletes.incrementAndGet();
                writer.delete(id);
            }
        } catch (VersionConflictException e) {
            conflicts.incrementAndGet();
        } catch (RequiredSinkFailedException e) {
            compensations.incrementAndGet();
        } catch (RuntimeException e) {
            error("operation " + op + " on " + id + " threw " + e);
        }
    }

    /**
     * Runs recovery until nothing is pending or the time is up, moving the clock over backoffs
     * instead of sleeping.
     *
     * @return the summed figures of the passes
     */
    RecoveryReport recoverUntilQuiet(DualWriter<TestItem> writer, AdjustableClock clock, Duration timeout,
                                     Duration step) {
        RecoveryReport total = new RecoveryReport(0, 0, 0, 0);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            RecoveryReport r;
            try {
                writer.operations().flushAcknowledgements();
                r = writer.operations().recoverDue();
            } catch (RuntimeException e) {
                error("recovery pass threw " + e);
                r = new RecoveryReport(0, 0, 0, 0);
            }
            total = total.plus(r);
            if (r.claimed() > 0) {
                continue;
            }
            writer.operations().flushAcknowledgements();
            if (writer.operations().backlog() == 0 || System.nanoTime() > deadline) {
                return total;
            }
            // something is pending but not due yet: jump over the backoff instead of sleeping
            clock.advance(step);
        }
    }

    void error(String what) {
        errorCount.incrementAndGet();
        if (errors.size() < 10) {
            errors.add(what);
        }
    }
}
