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

import io.dualwrite.testkit.mongo.InJvmMongo;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@link ProcessChaos} run whose wiring in the test's JVM is interrupted (throws {@link InterruptedException})
 * stops with {@link ChaosRunAbortedException}, the interruption as its cause, and the calling thread's interrupt
 * flag set, as a run interrupted while the children run does.
 */
class ProcessChaosInterruptTest {

    @Test
    void anInterruptedWiringInThisJvmKeepsTheInterruptFlag() throws Exception {
        try (InJvmMongo mongo = InJvmMongo.start()) {
            List<String> options = new ArrayList<>(ChildJvm.DEFAULT_JVM_OPTIONS);
            options.add("-D" + FailsInTheParentWiring.CHILD_PROPERTY + "=true");
            ProcessChaos chaos = ProcessChaos.builder(InterruptedInTheParentWiring.class, mongo.connectionString())
                    .kills(1).aliveFor(Duration.ofMillis(100), Duration.ofMillis(200)).seed(13).entities(5)
                    .threads(1).jvmOptions(options.toArray(String[]::new)).build();
            ChaosRunAbortedException e;
            boolean interrupted;
            try {
                e = assertThrows(ChaosRunAbortedException.class, chaos::run);
            } finally {
                interrupted = Thread.interrupted();
            }
            assertInstanceOf(InterruptedException.class, e.getCause(), e.toString());
            assertTrue(interrupted, "the interrupt flag is kept: " + e);
        }
    }
}
