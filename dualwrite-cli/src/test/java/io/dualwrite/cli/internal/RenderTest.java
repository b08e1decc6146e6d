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

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One model, two formats: tables that fit the width, records that wrap, JSON with plain values. */
class RenderTest {
    private static final Instant AT = Instant.parse("2026-12-06T15:00:00Z");

    private static String print(Render.Format format, int width, Map<String, Object> report) {
        StringWriter out = new StringWriter();
        new Render(new PrintWriter(out), format, Ansi.OFF, width).print(report);
        return out.toString();
    }

    private static Map<String, Object> report() {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", "product/p-17#search");
        row.put("age", Duration.ofSeconds(187));
        row.put("created", AT);
        row.put("last_error", "x".repeat(300));
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("rows", List.of(row));
        return report;
    }

    @Test
    void aTableFitsTheWidthByCuttingItsWidestColumn() {
        String table = print(Render.Format.table, 80, report());
        for (String line : table.split("\n")) {
            assertTrue(line.length() <= 80, "fits 80 columns: [" + line + "]");
        }
        assertTrue(table.contains("product/p-17#search  3m07s  2026-12-06 15:00:00Z  xxx"), table);
        assertTrue(table.contains("x…"), "the cut is shown:\n" + table);
    }

    @Test
    void aRecordWrapsLongValuesAndLosesNothing() {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("one", Map.of("last_error", "y".repeat(150)));
        String text = print(Render.Format.table, 60, report);
        assertEquals(150, text.chars().filter(c -> c == 'y').count(), text);
        assertTrue(text.lines().allMatch(l -> l.length() <= 60), text);
    }

    @Test
    void jsonKeepsNumbersTimesInIsoAndDurationsInSeconds() throws Exception {
        JsonNode row = new ObjectMapper().readTree(print(Render.Format.json, 40, report())).get("rows").get(0);
        assertEquals(187.0, row.get("age").asDouble());
        assertEquals("2026-12-06T15:00:00Z", row.get("created").asText());
        assertEquals(300, row.get("last_error").asText().length(), "JSON is never cut");
    }

    @Test
    void timesAreReadAsDurationsOrInstants() {
        assertEquals(Duration.ofMillis(500), Times.duration("500ms"));
        assertEquals(Duration.ofDays(7), Times.duration("7d"));
        assertEquals(Duration.ofSeconds(30), Times.duration("PT30S"));
        assertEquals(AT.minus(Duration.ofHours(2)), Times.instant("2h", AT));
        assertEquals(AT, Times.instant("2026-12-06T15:00:00Z", Instant.EPOCH));
        assertThrows(CommandLine.TypeConversionException.class, () -> Times.duration("soon"));
        assertEquals("2h05m", Times.human(Duration.ofMinutes(125)));
    }
}
