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
package io.dualwrite.internal;

import io.dualwrite.spi.Ack;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The acknowledgement batches: one per entity and sink, whatever the entity's writes since the last flush. */
class AcknowledgerTest {

    @Test
    void anEntityWrittenAgainBeforeItsAcknowledgementWasWrittenCostsNoSeparateOne() {
        List<Ack> batch = List.of(new Ack("a", "search", 5, null), new Ack("b", "search", 1, null),
                new Ack("a", "search", 7, null), new Ack("a", "cache", 6, null), new Ack("a", "search", 6, null));
        assertEquals(List.of(new Ack("a", "search", 7, null), new Ack("b", "search", 1, null),
                        new Ack("a", "cache", 6, null)), Acknowledger.coalesced(batch),
                "the highest version per entity and sink, in the order the entities came");
    }

    @Test
    void aDeadLetteredIntentKeepsItsOwnAcknowledgementSinceItGoesByItsRef() {
        Ack dead = Ack.deadLettered("a", "search", 3, "ref-3");
        List<Ack> batch = List.of(dead, new Ack("a", "search", 4, "ref-4"));
        assertEquals(List.of(dead, new Ack("a", "search", 4, "ref-4")), Acknowledger.coalesced(batch),
                "a dead letter's acknowledgement is never folded into a delivery's");
    }
}
