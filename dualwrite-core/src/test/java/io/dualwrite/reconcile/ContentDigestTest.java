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

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.dualwrite.spi.ContentDigest;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ContentDigestTest {

    @Test
    void fieldOrderWhitespaceAndNumberFormattingDoNotCount() {
        String compact = "{\"a\":{\"y\":true,\"z\":null},\"b\":[1,2.5,\"x\\n\\u0001\u00e9\\\"/\"]}";
        String reformatted = "{ \"b\" : [ 1.0, 25e-1, \"x\\n\\u0001\\u00E9\\\"\\/\" ],\n  \"a\": {\"z\": null, \"y\": true} }";
        assertEquals(ContentDigest.ofJson(compact), ContentDigest.ofJson(reformatted),
                "the same content in another order and format must have the same digest");
        assertEquals("{\"a\":{\"y\":true,\"z\":null},\"b\":[1,2.5,\"x\\n\\u0001\u00e9\\\"/\"]}",
                ContentDigest.canonicalJson(readTree(reformatted)),
                "members sorted, no whitespace, integral numbers as integers, only the required escapes");
    }

    @Test
    void digestsAreThoseOfAnIndependentImplementation() {
        // SHA-256 of the canonical text, computed with Python's hashlib
        assertEquals("58f09acf0b01e5af2cb3324e02753eff648ac66bd246d3ff09f532e858583180",
                ContentDigest.ofJson("{\"b\":[1.0,2.5,\"x\\n\\u0001\u00e9\\\"/\"],\"a\":{\"z\":null,\"y\":true}}").value());
        // a decimal fraction is the exact value of its double, as Python's Decimal(0.1) writes it
        assertEquals("{\"p\":0.1000000000000000055511151231257827021181583404541015625}",
                ContentDigest.canonicalJson(readTree("{\"p\":0.1}")));
        assertEquals("951508e56e9d8c266e975649e96e2d623aaee41499fafdf7fe4f752308eb4405",
                ContentDigest.ofJson("{\"p\":1e-1}").value());
    }

    @Test
    void anyChangedValueChangesTheDigest() {
        ContentDigest base = ContentDigest.ofJson("{\"name\":\"kettle\",\"price\":2999,\"tags\":[\"a\",\"b\"]}");
        for (String other : new String[] {
                "{\"name\":\"Kettle\",\"price\":2999,\"tags\":[\"a\",\"b\"]}",
                "{\"name\":\"kettle\",\"price\":2998,\"tags\":[\"a\",\"b\"]}",
                "{\"name\":\"kettle\",\"price\":\"2999\",\"tags\":[\"a\",\"b\"]}",
                "{\"name\":\"kettle\",\"price\":2999,\"tags\":[\"b\",\"a\"]}",
                "{\"name\":\"kettle\",\"price\":2999,\"tags\":[\"a\",\"b\"],\"extra\":null}",
                "{\"name\":\"kettle\",\"price\":2999.5,\"tags\":[\"a\",\"b\"]}"}) {
            assertNotEquals(base, ContentDigest.ofJson(other), "other content must have another digest: " + other);
        }
        assertEquals(64, base.value().length(), "64 hex digits");
        assertEquals(base.value(), base.toString());
    }

    @Test
    void rejectsWhatIsNotADigestOrNotJson() {
        assertThrows(IllegalArgumentException.class, () -> new ContentDigest(" "));
        assertThrows(NullPointerException.class, () -> new ContentDigest(null));
        assertThrows(IllegalArgumentException.class, () -> ContentDigest.ofJson("{not json"));
    }

    private static JsonNode readTree(String json) {
        try {
            return JsonMapper.builder().build().readTree(json);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
