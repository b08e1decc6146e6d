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

import io.dualwrite.DeliveryPolicy;
import io.dualwrite.testkit.fault.Fault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The short chaos run of the build: a few seeds of thousands of operations over the in-memory
 * primary, with every kind of sink fault, must keep every promise. A soak runs with
 * {@code -Ddualwrite.chaos.operations=1000000} (and {@code -Ddualwrite.chaos.seed=N} to replay a seed).
 */
class ChaosRunTest {

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1L, 20261126L, 7_777_777L})
    void keepsEveryPromiseUnderSinkFaults(long seed) {
        ChaosReport report = ChaosRunner.builder().seed(seed).operations(3_000).threads(4).entities(40)
                .operationsFromSystemProperty().build().run();
        report.assertPromisesKept();
        assertTrue(report.faultsInjected() > 100, "the run must inject faults (seed " + seed + "): " + report.faults());
        assertTrue(report.faults().get(Fault.APPLY_THEN_THROW) > 0 && report.faults().get(Fault.DUPLICATE) > 0
                && report.faults().get(Fault.REORDER) > 0 && report.faults().get(Fault.FAIL_RANDOM) > 0,
                "the run must inject lost acknowledgements, duplicates, reorderings and failures: " + report.faults());
        assertTrue(report.retries() > 0, "transient failures must be retried on the caller's path (seed " + seed + ")");
        assertTrue(report.recovery().delivered() > 0, "recovery must deliver what the caller's path could not (seed "
                + seed + ")");
        assertTrue(report.deadLetters() >= 1, "the poisoned entity must end in the dead-letter store (seed " + seed + ")");
        assertEquals(0, report.backlogAfterRecovery(), "nothing may stay pending (seed " + seed + ")");
    }

    @Test
    void recoveryAloneConvergesWhenNothingRecoversDuringTheFaults() {
        ChaosReport report = ChaosRunner.builder().seed(31).operations(2_000).recoverDuringChaos(false).build().run();
        report.assertPromisesKept();
        assertTrue(report.recovery().delivered() > 0, "recovery after healing must deliver the ASYNC sink's backlog");
        assertEquals(0, report.backlogAfterRecovery(), "nothing may stay pending");
    }

    @Test
    void aRequiredSinkCompensatesAndEverySinkConvergesToTheCompensation() {
        // the ledger fails often enough that some writes exhaust their attempts whatever the timing
        java.util.function.BiConsumer<String, io.dualwrite.testkit.fault.FaultySink.Builder<io.dualwrite.testkit.TestItem>>
                faults = (name, f) -> {
                    ChaosRunner.defaultFaults(java.time.Duration.ofMillis(40)).accept(name, f);
                    if (name.equals("ledger")) {
                        f.failProbability(0.5, io.dualwrite.ErrorKind.TRANSIENT);
                    }
                };
        ChaosReport report = ChaosRunner.builder().seed(64).operations(1_500).poisoned(0).faults(faults)
                .sink("ledger", DeliveryPolicy.REQUIRED).sink("search", DeliveryPolicy.SYNC)
                .sink("analytics", DeliveryPolicy.ASYNC).build().run();
        report.assertPromisesKept();
        assertTrue(report.compensations() > 0, "a failing REQUIRED sink must make some writes compensate");
    }

    @Test
    void sameSeedGivesTheSameOperationMix() {
        ChaosReport a = ChaosRunner.builder().seed(99).operations(400).threads(1).build().run();
        ChaosReport b = ChaosRunner.builder().seed(99).operations(400).threads(1).build().run();
        a.assertPromisesKept();
        b.assertPromisesKept();
        assertEquals(a.saves(), b.saves(), "one thread and one seed must replay the same saves");
        assertEquals(a.updates(), b.updates(), "one thread and one seed must replay the same updates");
        assertEquals(a.deletes(), b.deletes(), "one thread and one seed must replay the same deletes");
    }
}
