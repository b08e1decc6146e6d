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

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.ErrorKind;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the command line in this JVM, as an operator would, against the primary of a {@link RunningApplication}
 * (the test MongoDB, a real Redis cache, a running recovery worker).
 */
class DualWriteCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private RunningApplication app;

    /** What one run of the tool printed and returned. */
    record Run(int exitCode, String out, String err) {
        JsonNode json() throws Exception {
            return JSON.readTree(out);
        }
    }

    @BeforeEach
    void start() {
        app = new RunningApplication();
    }

    @AfterEach
    void stop() {
        app.close();
    }

    private Run run(String... args) {
        return runWithInput("", args);
    }

    /** Runs the tool with the application's connection after the command's own words. */
    private Run runWithInput(String input, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(app.connection());
        return runRaw(input, all.toArray(new String[0]));
    }

    private static Run runRaw(String input, String... args) {
        CommandLine cl = DualWriteCli.commandLine(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void statusFiguresMatchTheStore() throws Exception {
        app.saveProduct("p-1", "kettle");
        app.poison("p-2");
        app.poison("p-3");
        app.saveProduct("p-2", "teapot");
        app.saveProduct("p-3", "mug");
        for (int i = 1; i <= 3; i++) {
            app.saveOrder("o-" + i, 100L * i);
        }
        // a recovery worker elsewhere holds two orders
        assertEquals(2, app.orderStore.claimDue(Instant.now(), 2, "worker-a", Duration.ofMinutes(5)).size());
        RunningApplication.awaitTrue("the products are settled", () -> app.productStore.pendingCount() == 0);

        Run r = run("status", "--output", "json");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode deliveries = r.json().get("deliveries");
        JsonNode billing = row(deliveries, "order", "billing");
        assertEquals(app.orderStore.pendingCount(), billing.get("pending").asLong(), "pending intents as the store counts them");
        assertEquals(3, billing.get("due").asLong(), "all three are due (no grace period)");
        double oldest = Duration.between(app.orderStore.oldestDue().orElseThrow(), Instant.now()).toMillis() / 1000.0;
        assertTrue(Math.abs(billing.get("oldest_due_for").asDouble() - oldest) < 5,
                "the oldest due age is the store's oldest due time: " + billing + " vs " + oldest);
        assertEquals(0, billing.get("dead_letters").asLong());
        JsonNode cache = row(deliveries, "product", "cache");
        assertEquals(0, cache.get("pending").asLong(), "recovery left nothing pending");
        assertEquals(app.deadLetters.list(DeadLetterQuery.builder().entityType("product").build()).size(),
                cache.get("dead_letters").asLong());
        assertEquals(2, cache.get("dead_by_kind").get("PERMANENT").asLong(), "dead letters by error kind");
        JsonNode leases = r.json().get("leases");
        assertEquals(1, leases.size(), leases.toString());
        assertEquals("order", leases.get(0).get("type").asText());
        assertEquals("worker-a", leases.get(0).get("owner").asText(), "who holds the leases");
        assertEquals(2, leases.get(0).get("entities").asLong());

        // the cache lost p-1: a reconciliation dry run finds it missing (with the two it never took), and status shows
        // the run
        app.dropFromCache("p-1");
        ReconcileReport dry = app.reconciler().dryRun(ReconcileScope.all());
        Run withRun = run("status", "--type", "product", "-o", "json");
        JsonNode reconciliation = withRun.json().get("reconciliation");
        assertEquals(1, reconciliation.size(), reconciliation.toString());
        assertEquals("DRY_RUN", reconciliation.get(0).get("mode").asText());
        assertEquals(dry.status().name(), reconciliation.get(0).get("status").asText());
        assertEquals(dry.drift(), reconciliation.get(0).get("drift").asLong(), "the drift the run found");
        assertEquals(3, reconciliation.get(0).get("drift_by_class").get("MISSING").asLong(),
                "p-1 dropped, p-2 and p-3 dead-lettered");

        Run table = run("status", "--type", "order");
        assertEquals(0, table.exitCode(), table.err());
        assertTrue(table.out().contains("worker-a"), table.out());
        assertFalse(table.out().contains("product"), "only the type asked for:\n" + table.out());
        assertFalse(table.out().contains("\u001B["), "no colours when the output is not a terminal");
    }

    private static JsonNode row(JsonNode rows, String type, String sink) {
        for (JsonNode row : rows) {
            if (row.get("type").asText().equals(type) && row.get("sink").asText().equals(sink)) {
                return row;
            }
        }
        throw new AssertionError("no row for " + type + "/" + sink + " in " + rows);
    }

    @Test
    void aDeadLetterIsListedShownReplayedAndThenDelivered() throws Exception {
        app.poison("p-7");
        app.saveProduct("p-7", "kettle");
        DeadLetter dead = app.deadLetterOf("p-7");
        assertEquals(ErrorKind.PERMANENT, dead.kind());

        Run list = run("dead-letters", "list", "--type", "product", "--sink", "cache", "--kind", "permanent",
                "--since", "1h", "-o", "json");
        assertEquals(0, list.exitCode(), list.err());
        JsonNode rows = list.json().get("dead_letters");
        assertEquals(1, rows.size(), rows.toString());
        assertEquals("product/p-7#cache", rows.get(0).get("id").asText());
        assertEquals(dead.version(), rows.get(0).get("version").asLong());
        Run none = run("dead-letters", "list", "--type", "product", "--until", "1h", "-o", "json");
        assertEquals(0, none.json().get("dead_letters").size(), "nothing was dead-lettered more than an hour ago");

        Run show = run("dead-letters", "show", dead.id());
        assertEquals(0, show.exitCode(), show.err());
        assertTrue(show.out().replaceAll("\\n {19}", "").contains("the cache refuses p-7: value too large"),
                "the whole error, wrapped:\n" + show.out());
        assertTrue(show.out().contains(dead.idempotencyKey().orElseThrow()), show.out());

        app.heal("p-7");
        Run replay = run("dead-letters", "replay", dead.id(), "--wait", "--timeout", "20s", "--reason", "cache limit raised");
        assertEquals(0, replay.exitCode(), replay.out() + replay.err());
        assertTrue(replay.out().contains("delivered"), replay.out());
        assertEquals(dead.version(), app.cachedVersion("p-7"), "the running application delivered it to Redis");
        assertTrue(app.deadLetters.get(dead.id()).isEmpty(), "the dead letter is gone");
        assertEquals(0, app.productStore.pendingCount(), "nothing is left pending");
        Document audit = app.database.getCollection("dualwrite_dead_letter_audit").find().first();
        assertNotNull(audit, "the replay is recorded");
        assertEquals("replay", audit.getString("action"));
        assertEquals(dead.id(), audit.getString("deadLetterId"));
        assertEquals("cache limit raised", audit.getString("reason"));
        assertTrue(audit.getString("outcome").startsWith("delivered"), audit.toJson());
    }

    @Test
    void aReplayThatFailsAgainIsDeadLetteredAgainAndSaysSo() throws Exception {
        app.poison("p-8");
        app.saveProduct("p-8", "kettle");
        DeadLetter dead = app.deadLetterOf("p-8");

        Run replay = run("dead-letters", "replay", "--type", "product", "--entity-id", "p-8", "--wait",
                "--timeout", "20s", "-o", "json");
        assertEquals(DualWriteCli.EXIT_NOT_DELIVERED, replay.exitCode(), replay.out() + replay.err());
        JsonNode row = replay.json().get("replayed").get(0);
        assertEquals("dead-lettered again", row.get("outcome").asText());
        assertTrue(row.get("detail").asText().contains("value too large"), row.toString());
        DeadLetter again = app.deadLetterOf("p-8");
        assertEquals(dead.version(), again.version());
        assertEquals(dead.firstError(), again.firstError(), "the first error is carried over");
        assertTrue(again.lastFailedAt().isAfter(dead.lastFailedAt()), "a new failure, after the replay");
    }

    @Test
    void aDiscardIsConfirmedAndLeavesAnAuditRecord() throws Exception {
        app.poison("p-9");
        app.saveProduct("p-9", "kettle");
        DeadLetter dead = app.deadLetterOf("p-9");

        Run declined = runWithInput("n\n", "dead-letters", "discard", dead.id(), "--reason", "withdrawn");
        assertEquals(DualWriteCli.EXIT_FAILED, declined.exitCode(), declined.err());
        assertTrue(declined.err().contains("discard them? [y/N]"), declined.err());
        assertTrue(app.deadLetters.get(dead.id()).isPresent(), "nothing is discarded without a yes");

        Run noReason = run("dead-letters", "discard", dead.id(), "--yes");
        assertEquals(DualWriteCli.EXIT_BAD_INPUT, noReason.exitCode());
        assertTrue(noReason.err().contains("--reason"), noReason.err());

        Run confirmed = runWithInput("y\n", "dead-letters", "discard", dead.id(), "--reason", "product withdrawn",
                "--by", "alice");
        assertEquals(0, confirmed.exitCode(), confirmed.out() + confirmed.err());
        assertTrue(confirmed.out().contains("discarded"), confirmed.out());
        assertTrue(app.deadLetters.get(dead.id()).isEmpty(), "the dead letter is gone");
        Document audit = app.database.getCollection("dualwrite_dead_letter_audit").find().first();
        assertNotNull(audit, "the discard is recorded");
        assertEquals("discard", audit.getString("action"));
        assertEquals("alice", audit.getString("by"));
        assertEquals("product withdrawn", audit.getString("reason"));
        assertEquals("discarded", audit.getString("outcome"));
        assertEquals(dead.id(), audit.getString("deadLetterId"));
        assertEquals(dead.lastError(), audit.get("deadLetter", Document.class).getString("last_error"),
                "what was discarded is kept");
        assertNotNull(audit.getDate("at"));
    }

    @Test
    void badInputGetsAClearMessageANonZeroExitAndChangesNothing() throws Exception {
        app.poison("p-4");
        app.saveProduct("p-4", "kettle");
        DeadLetter dead = app.deadLetterOf("p-4");
        List<Document> before = app.database.getCollection("dualwrite_dead_letters").find().into(new ArrayList<>());

        Run unknownType = run("dead-letters", "list", "--type", "invoice");
        assertEquals(DualWriteCli.EXIT_BAD_INPUT, unknownType.exitCode());
        assertTrue(unknownType.err().contains("unknown entity type 'invoice' (known: order, product"), unknownType.err());
        Run unknownTypeReplay = run("dead-letters", "replay", "invoice/p-4#cache", "--yes");
        assertEquals(DualWriteCli.EXIT_BAD_INPUT, unknownTypeReplay.exitCode(), unknownTypeReplay.err());
        Run malformed = run("dead-letters", "discard", "p-4", "--yes", "--reason", "x");
        assertEquals(DualWriteCli.EXIT_BAD_INPUT, malformed.exitCode());
        assertTrue(malformed.err().contains("'p-4' is not a dead letter id: TYPE/ENTITY-ID#SINK"), malformed.err());
        Run badKind = run("dead-letters", "list", "--kind", "FATAL");
        assertEquals(DualWriteCli.EXIT_BAD_INPUT, badKind.exitCode());
        assertTrue(badKind.err().contains("PERMANENT"), "the valid kinds are named: " + badKind.err());
        Run badTime = run("dead-letters", "list", "--since", "yesterday");
        assertEquals(DualWriteCli.EXIT_BAD_INPUT, badTime.exitCode());
        assertTrue(badTime.err().contains("'yesterday' is neither a time"), badTime.err());
        Run absent = run("dead-letters", "replay", "product/p-5#cache");
        assertEquals(DualWriteCli.EXIT_NOT_FOUND, absent.exitCode());
        assertTrue(absent.err().contains("no dead letter 'product/p-5#cache'"), absent.err());
        Run noTarget = run("dead-letters", "replay");
        assertEquals(DualWriteCli.EXIT_BAD_INPUT, noTarget.exitCode());

        long started = System.nanoTime();
        Run unreachable = runRaw("", "status", "--mongo-uri", "mongodb://127.0.0.1:1/shop", "--server-timeout", "500ms");
        assertEquals(DualWriteCli.EXIT_UNREACHABLE, unreachable.exitCode(), unreachable.err());
        assertTrue(unreachable.err().contains("MongoDB at [127.0.0.1:1] did not answer within 500ms"), unreachable.err());
        assertTrue(Duration.ofNanos(System.nanoTime() - started).toSeconds() < 10, "the timeout is short");
        Run noUri = runRaw("", "status");
        if (System.getenv(DualWriteCli.URI_VARIABLE) == null) {
            assertEquals(DualWriteCli.EXIT_BAD_INPUT, noUri.exitCode());
            assertTrue(noUri.err().contains("give --mongo-uri or set DUALWRITE_MONGO_URI"), noUri.err());
        }

        assertEquals(before, app.database.getCollection("dualwrite_dead_letters").find().into(new ArrayList<>()),
                "the dead letters are as they were");
        assertEquals(0, app.database.getCollection("dualwrite_dead_letter_audit").countDocuments(), "no act recorded");
        assertEquals(Optional.of(dead), app.deadLetters.get(dead.id()));
        assertEquals(0, app.productStore.pendingCount(), "nothing re-armed");
    }

    @Test
    void aNegativeServerTimeoutIsBadInputNotAnEndlessWait() {
        // a malformed time is bad input (exit 2); a negative wait for an unreachable MongoDB must not wait for ever
        Run negative = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> runRaw("", "status", "--mongo-uri", "mongodb://127.0.0.1:1/shop", "--server-timeout", "PT-1S"),
                "the tool gave up on the unreachable MongoDB");
        assertEquals(DualWriteCli.EXIT_BAD_INPUT, negative.exitCode(), negative.err());
    }

    @Test
    void everyCommandHasHelpAndTheShellCompletionIsGenerated() {
        for (String[] command : List.of(new String[] {"--help"}, new String[] {"status", "--help"},
                new String[] {"dead-letters", "--help"}, new String[] {"dead-letters", "list", "--help"},
                new String[] {"dead-letters", "show", "--help"}, new String[] {"dead-letters", "replay", "--help"},
                new String[] {"dead-letters", "discard", "--help"}, new String[] {"reconcile", "--help"},
                new String[] {"reconcile", "request", "--help"}, new String[] {"reconcile", "watch", "--help"},
                new String[] {"reconcile", "history", "--help"})) {
            Run r = runRaw("", command);
            assertEquals(0, r.exitCode(), String.join(" ", command));
            assertTrue(r.out().startsWith("Usage: dualwrite"), String.join(" ", command) + ":\n" + r.out());
        }
        assertTrue(runRaw("", "--help").out().contains("Exit codes:"), "the exit codes are documented");
        Run completion = runRaw("", "generate-completion");
        assertEquals(0, completion.exitCode());
        assertTrue(completion.out().contains("complete -F _complete_dualwrite"), "a bash completion script");
        assertTrue(completion.out().contains("dead-letters"), "that knows the commands");
    }

    @Test
    void aRequestedReconciliationIsWatchedToItsEndAndItsReportMatchesTheDriftInjected() throws Exception {
        for (int i = 1; i <= 6; i++) {
            app.saveProduct("p-" + i, "item " + i);
        }
        RunningApplication.awaitTrue("the products are settled", () -> app.productStore.pendingCount() == 0);
        app.dropFromCache("p-1");
        app.dropFromCache("p-2");
        app.setBackInCache("p-3");
        app.copyInCache("p-4", "p-99");

        Run dry = run("reconcile", "request", "--type", "product", "--dry-run", "--wait", "--timeout", "20s",
                "-o", "json");
        assertEquals(0, dry.exitCode(), dry.out() + dry.err());
        JsonNode dryRun = dry.json().get("run");
        assertEquals("{\"MISSING\":2,\"STALE\":1,\"ORPHAN\":1}", dryRun.get("drift_by_class").toString(),
                "the drift injected, by class");
        assertEquals(0, dryRun.get("repaired").asLong(), "a dry run repairs nothing");
        assertEquals(null, app.cachedVersion("p-1"), "a dry run repairs nothing");
        assertTrue(dry.err().contains("COMPLETED done"), "plain progress lines off a terminal:\n" + dry.err());

        Run requested = run("reconcile", "request", "--type", "product", "--apply", "--by", "alice", "-o", "json");
        assertEquals(0, requested.exitCode(), requested.err());
        String id = requested.json().get("request").get("id").asText();
        assertEquals("alice", requested.json().get("request").get("requested_by").asText());

        Run watched = run("reconcile", "watch", id, "--timeout", "20s");
        assertEquals(0, watched.exitCode(), watched.out() + watched.err());
        assertTrue(watched.out().contains("COMPLETED"), watched.out());
        assertTrue(watched.err().contains("COMPLETED done: 7 of ~7 ids"), "the last progress line, with the total the"
                + " dry run of the same scope measured (six products and the orphan):\n" + watched.err());

        JsonNode report = run("reconcile", "watch", id, "-o", "json").json();
        assertEquals("COMPLETED", report.get("request").get("status").asText());
        assertEquals("app-1", report.get("request").get("holder").asText());
        JsonNode drift = report.get("drift").get(0);
        assertEquals("cache", drift.get("sink").asText());
        assertEquals(2, drift.get("missing").asLong());
        assertEquals(1, drift.get("stale").asLong());
        assertEquals(1, drift.get("orphan").asLong());
        assertEquals(3, drift.get("in_sync").asLong(), "p-4, p-5, p-6");
        assertEquals(0, drift.get("ahead").asLong() + drift.get("content_mismatch").asLong());
        JsonNode repairs = report.get("repairs").get(0);
        assertEquals(3, repairs.get("republished").asLong(), "the missing and the stale");
        assertEquals(1, repairs.get("orphan_deleted").asLong());
        assertEquals(4, report.get("run").get("repaired").asLong());
        for (String p : List.of("p-1", "p-2", "p-3")) {
            assertEquals(app.primaryVersion(p), app.cachedVersion(p), p + " is in the cache at the primary's version");
        }
        assertEquals(null, app.cachedVersion("p-99"), "the orphan left the cache");

        Run history = run("reconcile", "history", "-o", "json");
        assertEquals(0, history.exitCode(), history.err());
        JsonNode runs = history.json().get("runs");
        assertEquals(2, runs.size(), runs.toString());
        assertEquals("APPLY", runs.get(0).get("mode").asText(), "the latest first");
        assertEquals(id, runs.get(0).get("request").asText(), "the run names the request it served");
        assertEquals(4, runs.get(0).get("drift").asLong());
        assertEquals(4, runs.get(0).get("repaired").asLong());
        assertEquals("DRY_RUN", runs.get(1).get("mode").asText());
        assertEquals(0, runs.get(1).get("repaired").asLong());
        assertEquals(0, run("reconcile", "request", "--type", "product", "--dry-run", "--wait", "-o", "json").json()
                .get("run").get("drift").asLong(), "nothing is left to repair");
    }

    @Test
    void reconciliationBadInputIsRefusedAndRecordsNothing() throws Exception {
        app.saveProduct("p-1", "kettle");
        Run unknownType = run("reconcile", "request", "--type", "invoice", "--apply");
        assertEquals(DualWriteCli.EXIT_BAD_INPUT, unknownType.exitCode());
        assertTrue(unknownType.err().contains("unknown entity type 'invoice' (known: order, product"), unknownType.err());
        Run emptyRange = run("reconcile", "request", "--type", "product", "--apply", "--after", "p-9", "--to", "p-1");
        assertEquals(DualWriteCli.EXIT_BAD_INPUT, emptyRange.exitCode());
        assertTrue(emptyRange.err().contains("the range (p-9, p-1] is empty"), emptyRange.err());
        Run both = run("reconcile", "request", "--type", "product", "--apply", "--id", "p-1", "--after", "p-0");
        assertEquals(DualWriteCli.EXIT_BAD_INPUT, both.exitCode());
        assertTrue(both.err().contains("either --id or a range"), both.err());
        Run noMode = run("reconcile", "request", "--type", "product");
        assertEquals(DualWriteCli.EXIT_BAD_INPUT, noMode.exitCode());
        assertTrue(noMode.err().contains("--dry-run") && noMode.err().contains("--apply"), noMode.err());
        Run malformed = run("reconcile", "watch", "42");
        assertEquals(DualWriteCli.EXIT_BAD_INPUT, malformed.exitCode());
        assertTrue(malformed.err().contains("'42' is not a reconciliation request id"), malformed.err());
        Run absent = run("reconcile", "watch", "0123456789abcdef01234567");
        assertEquals(DualWriteCli.EXIT_NOT_FOUND, absent.exitCode());
        assertTrue(absent.err().contains("no reconciliation request '0123456789abcdef01234567'"), absent.err());
        Run unreachable = runRaw("", "reconcile", "request", "--type", "product", "--apply", "--mongo-uri",
                "mongodb://127.0.0.1:1/shop", "--server-timeout", "500ms");
        assertEquals(DualWriteCli.EXIT_UNREACHABLE, unreachable.exitCode(), unreachable.err());
        assertEquals(0, app.database.getCollection("dualwrite_reconcile_requests").countDocuments(),
                "no request recorded");

        Run nowhere = run("reconcile", "request", "--type", "product", "--sink", "nowhere", "--apply", "--wait",
                "--timeout", "20s", "-o", "json");
        assertEquals(DualWriteCli.EXIT_FAILED, nowhere.exitCode(), nowhere.out() + nowhere.err());
        assertEquals("FAILED", nowhere.json().get("request").get("status").asText());
        assertEquals("the reconciler of entity type 'product' has no sink 'nowhere' (it has [cache])",
                nowhere.json().get("request").get("reason").asText());
        Run orders = run("reconcile", "request", "--type", "order", "--dry-run", "--wait", "--timeout", "20s");
        assertEquals(DualWriteCli.EXIT_FAILED, orders.exitCode(), orders.out() + orders.err());
        assertTrue(orders.out().contains("no reconciler of entity type 'order' runs in the application"),
                orders.out());
    }

    @Test
    void statusCountsTheIntentsOfAWriteAheadStore() throws Exception {
        io.dualwrite.mongo.MongoWriteAheadStore<Document> invoices = app.startInvoices();
        app.saveInvoice("i-1", 100);
        app.saveInvoice("i-2", 250);
        app.saveInvoice("i-2", 300); // a second write of the same invoice: still one pending delivery of it

        Run r = run("status", "--type", "invoices", "--output", "json");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode ledger = row(r.json().get("deliveries"), "invoices", "ledger");
        assertEquals("write-ahead", ledger.get("intents").asText());
        assertEquals(invoices.pendingCount(), ledger.get("pending").asLong(), "pending as the store counts them");
        assertEquals(2, ledger.get("pending").asLong(), "one per invoice");
        assertEquals(2, ledger.get("due").asLong(), "both are due (no grace period)");
        double oldest = Duration.between(invoices.oldestDue().orElseThrow(), Instant.now()).toMillis() / 1000.0;
        assertTrue(Math.abs(ledger.get("oldest_due_for").asDouble() - oldest) < 5, ledger + " vs " + oldest);

        // a recovery worker of another instance holds one of them
        assertEquals(1, invoices.claimDue(Instant.now(), 1, "worker-b", Duration.ofMinutes(5)).size());
        JsonNode leases = run("status", "--type", "invoices", "--output", "json").json().get("leases");
        assertEquals(1, leases.size(), leases.toString());
        assertEquals("worker-b", leases.get(0).get("owner").asText());
        assertEquals(1, leases.get(0).get("entities").asLong());
    }
}
