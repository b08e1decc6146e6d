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
package io.dualwrite.examples.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dualwrite.testkit.kafka.EmbeddedKafka;
import io.dualwrite.testkit.mongo.InJvmMongo;
import io.dualwrite.testkit.opensearch.EmbeddedOpenSearch;
import io.dualwrite.testkit.servers.TestRedis;
import io.dualwrite.cli.DualWriteCli;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Runs the demo's main logic in this JVM with small sizes: embedded servers, every fault, writer
 * processes started from this JVM's classpath and killed with SIGKILL, and the convergence check.
 */
class CatalogDemoTest {

    @Test
    void demoConvergesAfterOutageSlowCallsAndKilledWritersAndExitsWithZero() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        // --keep: the demo prints a ./dualwrite command and waits for Enter with its in-JVM MongoDB up; the first read
        // of its input runs that command, while the server is still there, then answers Enter
        StringWriter status = new StringWriter();
        int[] statusCode = {-1};
        InputStream enter = new InputStream() {
            @Override
            public int read() {
                String printed = bytes.toString(StandardCharsets.UTF_8);
                Matcher m = Pattern.compile("\n  \\./dualwrite (status .*)\n").matcher(printed);
                if (statusCode[0] == -1 && m.find()) {
                    CommandLine cli = DualWriteCli.commandLine(InputStream.nullInputStream());
                    cli.setOut(new PrintWriter(status, true));
                    cli.setErr(new PrintWriter(status, true));
                    statusCode[0] = cli.execute(m.group(1).split(" "));
                }
                return '\n';
            }
        };
        int code = CatalogDemo.run(new String[] {"--products", "40", "--operations", "240", "--seed", "7", "--keep"},
                enter, out, false);
        String printed = bytes.toString(StandardCharsets.UTF_8);
        System.out.println(printed);
        assertEquals(CatalogDemo.CONVERGED, code, "the demo must end converged (exit code 0); it printed:\n" + printed);
        assertEquals(DualWriteCli.EXIT_OK, statusCode[0], "the printed ./dualwrite status command works against the"
                + " kept run:\n" + status + "\n" + printed);
        assertTrue(status.toString().contains("deliveries (0)"), "it reads the converged run: nothing pending\n" + status);
        assertTrue(printed.matches("(?s).*\n\\s+0\\.\\ds  starting.*"),
                "the progress line speaks from the first second, while the servers start:\n" + printed);
        assertTrue(printed.matches("(?s).*\nCONVERGED: every sink holds the primary's state \\d+\\.\\d s after the last"
                + " fault healed \\(the whole run took \\d+\\.\\d s; seed 7\\)\n.*"), "the time to converge is"
                + " counted from the last healed fault:\n" + printed);
        assertTrue(printed.contains("2 of 2 killed while running"),
                "both writer processes must be killed while they write:\n" + printed);
        // the killed writers leave the in-memory cache of this process to recovery (they record its
        // intents and never call it), and each wrote at least once before it was killed
        assertTrue(printed.matches("(?s).*\ncache\\s+\\d+\\s+\\d+\\s+[1-9]\\d*\\s+\\d+\\s+converged.*"),
                "recovery must have delivered the killed writers' changes to the cache:\n" + printed);
        assertTrue(printed.contains("replayed 1"), "the dead-lettered product must be replayed after the fix:\n" + printed);
        assertTrue(printed.matches("(?s).*\n\\s+UPSERT\\s+applied\\s+\\d+\\s+\\d+\\.\\d\\s.*"),
                "the write timer's figures must be printed:\n" + printed);
    }

    @Test
    void demoRunsAgainstServersGivenOnTheCommandLineWithRedisAsTheCache() {
        // the servers the demo would start, started here and passed as "real" ones; Redis from the testkit
        String redis = TestRedis.uri();
        EmbeddedOpenSearch os = EmbeddedOpenSearch.shared();
        EmbeddedKafka kafka = EmbeddedKafka.shared();
        try (InJvmMongo mongo = InJvmMongo.start()) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
            int code = CatalogDemo.run(new String[] {"--mongo-uri", mongo.connectionString(),
                    "--opensearch-url=" + os.httpUrl(), "--kafka-bootstrap", kafka.bootstrapServers(),
                    "--redis-uri", redis, "--products", "30", "--operations", "150", "--seed", "11"}, out, false);
            String printed = bytes.toString(StandardCharsets.UTF_8);
            System.out.println(printed);
            assertEquals(CatalogDemo.CONVERGED, code, "the demo must converge on given servers:\n" + printed);
            assertTrue(printed.contains("cache       Redis " + redis + " (given)"), "the cache is the given Redis");
            assertTrue(printed.contains("2 of 2 killed while running"), "the writer processes use Redis too");
            assertTrue(printed.contains("removed this run's database, index, topic and cache keys"),
                    "a run on real servers leaves nothing behind:\n" + printed);
        }
    }

    @Test
    void helpListsEveryOptionAndExitsWithZero() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = CatalogDemo.run(new String[] {"--help"}, new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
        String help = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(CatalogDemo.CONVERGED, code, "--help exits with 0");
        for (String option : new String[] {"--mongo-uri", "--opensearch-url", "--kafka-bootstrap", "--redis-uri",
                "--products", "--operations", "--seed", DemoOptions.ENV_MONGO, DemoOptions.ENV_REDIS}) {
            assertTrue(help.contains(option), "--help must list " + option + ":\n" + help);
        }
    }

    @Test
    void unknownOptionOrBadNumberIsAUsageError() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        assertEquals(CatalogDemo.USAGE, CatalogDemo.run(new String[] {"--colour", "red"}, out, false),
                "an unknown option exits with the usage code");
        assertEquals(CatalogDemo.USAGE, CatalogDemo.run(new String[] {"--products", "many"}, out, false),
                "a bad number exits with the usage code");
        assertEquals(CatalogDemo.USAGE, CatalogDemo.run(new String[] {"--seed"}, out, false),
                "a missing value exits with the usage code");
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("unknown option --colour") && printed.contains("--products needs a number")
                && printed.contains("--seed needs a value"), "each error must be named:\n" + printed);
    }
}
