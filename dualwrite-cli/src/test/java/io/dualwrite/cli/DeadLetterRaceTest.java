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
package io.dualwrite.cli;

import io.dualwrite.DeadLetter;
import io.dualwrite.mongo.operations.Operations;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two operators acting on the same dead letter, each from what they read before the other acted. */
class DeadLetterRaceTest {
    private RunningApplication app;
    private Operations ops;

    @BeforeEach
    void start() {
        app = new RunningApplication();
        ops = Operations.builder(app.database).entity("product", "products").build();
    }

    @AfterEach
    void stop() {
        app.close();
    }

    /**
     * Operator A runs {@code dead-letters replay ID}: the tool reads the dead letter, then waits for the
     * acknowledgement to settle; meanwhile operator B discards it. A's replay must not deliver what B discarded.
     */
    @Test
    void aReplayOfADeadLetterDiscardedSinceItWasReadArmsNothing() throws Exception {
        app.poison("p-1");
        app.saveProduct("p-1", "kettle");
        DeadLetter readByA = app.deadLetterOf("p-1");
        app.heal("p-1");

        List<Operations.Discard> discarded = ops.discard(List.of(app.deadLetterOf("p-1")), "bob", "product withdrawn");
        assertEquals(Operations.DiscardOutcome.DISCARDED, discarded.get(0).outcome());

        Operations.Replay replay = ops.replay(List.of(readByA), "alice", "cache limit raised").get(0);
        assertNotEquals(Operations.ReplayOutcome.ARMED, replay.outcome(),
                "the dead letter was discarded before the replay armed it: " + replay);
        assertEquals(0, app.productStore.pendingCount(), "nothing is pending to the cache after a discard");
    }

    /**
     * Operators A and B both read the dead letter and both replay it; A's replay is delivered before B's arms. B's must
     * not arm a second delivery of a dead letter that is gone.
     */
    @Test
    void aSecondReplayOfTheSameDeadLetterAfterItWasDeliveredArmsNothing() throws Exception {
        app.poison("p-2");
        app.saveProduct("p-2", "kettle");
        DeadLetter read = app.deadLetterOf("p-2");
        app.heal("p-2");

        Operations.Replay first = ops.replay(List.of(read), "alice", "cache limit raised").get(0);
        assertEquals(Operations.ReplayOutcome.ARMED, first.outcome());
        RunningApplication.awaitTrue("the first replay is delivered", () -> app.productStore.pendingCount() == 0);
        assertTrue(app.deadLetters.get(read.id()).isEmpty(), "the dead letter is gone");

        Operations.Replay second = ops.replay(List.of(read), "bob", "cache limit raised").get(0);
        assertNotEquals(Operations.ReplayOutcome.ARMED, second.outcome(),
                "the dead letter was replayed and delivered already: " + second);
        assertEquals(0, app.productStore.pendingCount(), "no second delivery is pending");
    }
}
