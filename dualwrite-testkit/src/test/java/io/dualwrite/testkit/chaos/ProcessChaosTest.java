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

import io.dualwrite.testkit.convergence.Discrepancy;
import io.dualwrite.testkit.mongo.InJvmMongo;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The process-chaos harness end to end: children write through a real coordinator into durable
 * sinks on a MongoDB the parent owns, are killed with SIGKILL, and the parent recovers and checks.
 * The wiring keeps its primary in memory, so every kill loses it: the check must say so.
 */
class ProcessChaosTest {

    @Test
    void aPrimaryThatDiesWithTheProcessIsCaughtAfterTheKills() throws Exception {
        try (InJvmMongo mongo = InJvmMongo.start()) {
            ProcessChaos.Report report = ProcessChaos.builder(VolatilePrimaryWiring.class, mongo.connectionString())
                    .kills(2).aliveFor(Duration.ofMillis(300), Duration.ofMillis(600)).seed(9).entities(10)
                    .threads(2).build().run();
            assertEquals(2, report.kills().killed(), "both children must be killed while writing: " + report.kills());
            assertFalse(report.promisesKept(), "a primary that does not survive the process must break a promise");
            assertTrue(report.convergence().count("search", Discrepancy.Kind.ORPHAN) > 0,
                    "the sink holds entities the (lost) primary no longer has: " + report.convergence());
            AssertionError e = assertThrows(AssertionError.class, report::assertPromisesKept);
            assertTrue(e.getMessage().contains("seed 9") && e.getMessage().contains("ORPHAN"),
                    "the failure names the seed and shows the diff: " + e.getMessage());
        }
    }

    @Test
    void anInterruptedRunStopsUncheckedAndKeepsTheInterruptFlag() {
        ProcessChaos chaos = ProcessChaos.builder(VolatilePrimaryWiring.class, "mongodb://127.0.0.1:1").kills(1)
                .seed(11).build();
        Thread.currentThread().interrupt();
        ChaosRunAbortedException e;
        try {
            e = assertThrows(ChaosRunAbortedException.class, chaos::run);
        } finally {
            assertTrue(Thread.interrupted(), "the interrupt flag is still set (and cleared here)");
        }
        assertInstanceOf(InterruptedException.class, e.getCause(), e.toString());
        assertEquals(11, e.seed(), "the run's seed");
        assertTrue(e.getMessage().contains("seed 11"), e.getMessage());
    }

    @Test
    void aCheckedFailureOfTheWiringInThisJvmStopsTheRunUnchecked() throws Exception {
        try (InJvmMongo mongo = InJvmMongo.start()) {
            List<String> options = new ArrayList<>(ChildJvm.DEFAULT_JVM_OPTIONS);
            options.add("-D" + FailsInTheParentWiring.CHILD_PROPERTY + "=true");
            ProcessChaos chaos = ProcessChaos.builder(FailsInTheParentWiring.class, mongo.connectionString())
                    .kills(1).aliveFor(Duration.ofMillis(100), Duration.ofMillis(200)).seed(12).entities(5)
                    .threads(1).jvmOptions(options.toArray(String[]::new)).build();
            ChaosRunAbortedException e = assertThrows(ChaosRunAbortedException.class, chaos::run);
            assertInstanceOf(IOException.class, e.getCause(), e.toString());
            assertTrue(e.getMessage().contains(FailsInTheParentWiring.class.getName()), e.getMessage());
        }
    }
}
