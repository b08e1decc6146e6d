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
package io.dualwrite.json;

import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one JSON abstraction behaves alike on Jackson 2 and Jackson 3, and a mapping failure is permanent on both. */
class JsonTest {
    /** An entity as applications write them: a record with a java.time field. */
    record Item(String id, String name, Instant at) {
    }

    /** A bean Jackson cannot write: its getter throws. */
    static final class Broken {
        public String getValue() {
            throw new IllegalStateException("no value");
        }
    }

    @Test
    void bothFlavoursWriteAndReadTheSameEntity() throws Exception {
        Item item = new Item("i-1", "Kettle", Instant.parse("2026-01-02T03:04:05Z"));
        for (Json json : List.of(Jackson2Json.defaults(), Jackson3Json.defaults())) {
            String text = json.write(item);
            assertTrue(text.contains("\"name\":\"Kettle\""), json.flavour() + ": " + text);
            assertEquals(item, json.read(text, Item.class), json.flavour() + " reads back what it wrote");
        }
    }

    @Test
    void aFailureToMapIsPermanentOnBothFlavours() {
        for (Json json : List.of(Jackson2Json.defaults(), Jackson3Json.defaults())) {
            Exception e = assertThrows(Exception.class, () -> json.check(new Broken()), json.flavour());
            assertEquals(ErrorKind.PERMANENT, ErrorClassifier.defaults().classify(e),
                    json.flavour() + ": " + e.getClass().getName());
        }
    }

    /** A bean with no property Jackson can see: an application class mapped by mistake. */
    static final class Opaque {
        private final String secret = "s";

        @Override
        public String toString() {
            return secret;
        }
    }

    @Test
    void anEntityWithNothingToWriteIsRefusedByBothDefaults() {
        for (Json json : List.of(Jackson2Json.defaults(), Jackson3Json.defaults())) {
            Exception e = assertThrows(Exception.class, () -> json.check(new Opaque()), json.flavour()
                    + " writes no {} for an entity it cannot see into");
            assertEquals(ErrorKind.PERMANENT, ErrorClassifier.defaults().classify(e),
                    json.flavour() + ": " + e.getClass().getName());
        }
    }

    @Test
    void theDefaultIsJackson3WhenItIsOnTheClasspath() {
        assertTrue(JsonFlavours.jackson3Available(), "the module's tests have Jackson 3");
        assertInstanceOf(Jackson3Json.class, Json.defaults());
    }
}
