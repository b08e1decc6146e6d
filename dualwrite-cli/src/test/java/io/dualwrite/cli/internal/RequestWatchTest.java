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
package io.dualwrite.cli.internal;

import io.dualwrite.mongo.reconcile.ReconcileRequest;
import io.dualwrite.mongo.reconcile.RequestStatus;
import io.dualwrite.reconcile.ReconcileMode;
import io.dualwrite.reconcile.ReconcileProgress;
import io.dualwrite.reconcile.ReconcileScope;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The progress of a watched reconciliation request, as a bar on a terminal and as a plain line elsewhere. */
class RequestWatchTest {
    private static final Instant AT = Instant.parse("2026-12-06T10:00:00Z");

    private static ReconcileRequest running(long done, long total, double rate) {
        return new ReconcileRequest("0123456789abcdef01234567", "product", ReconcileMode.APPLY, ReconcileScope.all(),
                "alice", AT, RequestStatus.RUNNING, "reconciling sink 'cache'", "app-1", AT.plusSeconds(120), 1,
                new ReconcileProgress("run-1", "cache", 3, done, Duration.ofSeconds(2), rate, total), AT, null, null,
                AT, null);
    }

    @Test
    void aBarShowsTheShareDoneTheRateAndTheTimeLeft() {
        assertEquals("[######------------------]  25%  500 of ~2000 ids, 250 ids/s, 6s left  reconciling sink 'cache'",
                RequestWatch.bar(running(500, 2000, 250)));
    }

    @Test
    void aBarWithoutAKnownTotalShowsTheRateOnly() {
        assertEquals("[????????????????????????]      500 ids, 250 ids/s  reconciling sink 'cache'",
                RequestWatch.bar(running(500, -1, 250)));
    }

    @Test
    void aPlainLineSaysTheStatusThePhaseTheFiguresAndTheHolder() {
        assertEquals("RUNNING reconciling sink 'cache': 500 of ~2000 ids, 250 ids/s, 6s left (held by app-1)",
                RequestWatch.line(running(500, 2000, 250)));
    }
}
