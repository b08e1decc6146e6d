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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kill harness kills real child JVMs with SIGKILL mid-write, several times, and a fresh
 * process then finishes the work from what the killed ones left on disk.
 */
class ProcessKillerTest {

    @Test
    void killsAChildSeveralTimesMidWriteAndAFreshProcessFinishes(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("log.txt");
        ProcessKiller.Report report = ProcessKiller.builder(AppendingChild.class.getName())
                .args(log.toString()).readyLine("READY").kills(3)
                .aliveFor(Duration.ofMillis(50), Duration.ofMillis(250)).seed(11).build().run();
        System.out.println(report);
        assertEquals(3, report.rounds().size(), "three rounds");
        assertEquals(3, report.killed(), "every child must still be running when killed");
        for (ProcessKiller.Round r : report.rounds()) {
            assertEquals(137, r.exitCode(), "SIGKILL ends a JVM with 128 + 9: " + r);
        }

        try (ChildJvm last = ChildJvm.builder(AppendingChild.class.getName()).args(log.toString(), "--finish").start()) {
            assertEquals(0, last.awaitExit(Duration.ofSeconds(60)), "the fresh process must finish normally: "
                    + last.output());
        }

        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        Set<String> writers = new LinkedHashSet<>();
        long expected = 1;
        for (String line : lines) {
            String[] parts = line.split(" ");
            if (parts.length != 3 || !parts[2].equals("end")) {
                continue; // an empty line, or the half line a kill cut off
            }
            writers.add(parts[0]);
            long n = Long.parseLong(parts[1]);
            assertEquals(expected, n, "each process must resume right after the last complete line");
            expected = n + 1;
        }
        assertEquals(4, writers.size(), "three killed processes and the finishing one wrote: " + writers);
        assertTrue(expected > 4, "the killed processes must have written something before dying");
        assertEquals("finished", lines.get(lines.size() - 1), "the fresh process wrote the last line");
    }
}
