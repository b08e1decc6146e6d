package io.dualwrite.cli.internal;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import io.dualwrite.DeadLetter;
import io.dualwrite.cli.DualWriteCli;
import io.dualwrite.mongo.internal.EmbeddedIntents;
import io.dualwrite.spi.Intent;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.types.ObjectId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code dualwrite dead-letters replay}: makes the delivery of each chosen dead letter pending again in the primary,
 * due now, and removes the dead letter; the application's recovery worker then delivers the entity's current state
 * through the sink's normal road, exactly as it recovers any write. A failure ends as every recovered delivery does:
 * retried with backoff, or dead-lettered again. With {@code --wait} the tool follows each until it is delivered or
 * dead-lettered again.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Replay dead letters, by id or by filter: each entity's delivery to the sink becomes pending"
                + " again, due now, and the application's running recovery worker delivers the entity's current state."
                + " The dead letter is removed; if the delivery fails for good, a new one takes its place.",
                "Each replay is recorded in the primary's " + Audit.COLLECTION + " collection."})
final class DeadLetterReplayCommand extends PrimaryCommand {
    /** How long after a dead letter's last failure the application's removal of its intent has surely landed. */
    static final Duration ACKNOWLEDGEMENT_SETTLE = Duration.ofSeconds(2);
    @Mixin
    Selection selection;

    @Mixin
    Actor actor;

    @Option(names = {"-w", "--wait"}, description = "follow each replay until it is delivered or dead-lettered again")
    boolean await;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5m", converter = Times.DurationConverter.class,
            description = "how long --wait follows; default ${DEFAULT-VALUE}")
    Duration timeout;

    @Option(names = "--poll", paramLabel = "DURATION", defaultValue = "250ms", hidden = true,
            converter = Times.DurationConverter.class, description = "how often --wait reads the primary")
    Duration poll;

    /** One dead letter on its way: where its entity is, and what was armed. */
    private static final class Replay {
        final DeadLetter deadLetter;
        final MongoCollection<BsonDocument> collection;
        final BsonValue documentId;
        ObjectId audit;
        long version;
        String outcome;
        String detail;

        Replay(DeadLetter deadLetter, MongoCollection<BsonDocument> collection, BsonValue documentId) {
            this.deadLetter = deadLetter;
            this.collection = collection;
            this.documentId = documentId;
        }
    }

    @Override
    int run(Primary primary, Render render, Root root) {
        selection.requireChosen("replay");
        // every check before the first change: a bad name or a missing entity changes nothing
        List<Replay> replays = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (DeadLetter d : selection.resolve(primary)) {
            MongoCollection<BsonDocument> c = primary.collectionOf(d.entityType());
            Optional<BsonValue> docId = primary.documentId(c, d.entityId());
            if (docId.isEmpty()) {
                missing.add(d.id());
            } else {
                replays.add(new Replay(d, c, docId.get()));
            }
        }
        if (!missing.isEmpty()) {
            throw new CliException(DualWriteCli.EXIT_NOT_FOUND, "not in the primary, so there is nothing to deliver"
                    + " from: the entities of " + String.join(", ", missing) + " (discard those dead letters, or"
                    + " replay them from the application); nothing was replayed");
        }
        Audit audit = new Audit(primary, actor);
        for (Replay r : replays) {
            arm(primary, audit, r);
        }
        boolean delivered = true;
        if (await) {
            delivered = follow(primary, audit, replays);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Replay r : replays) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", r.deadLetter.id());
            row.put("version", r.version);
            row.put("outcome", r.outcome);
            row.put("detail", r.detail);
            rows.add(row);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("replayed", rows);
        render.print(report);
        if (replays.stream().anyMatch(r -> r.outcome.equals("not armed"))) {
            return DualWriteCli.EXIT_FAILED;
        }
        return delivered ? 0 : DualWriteCli.EXIT_NOT_DELIVERED;
    }

    private void arm(Primary primary, Audit audit, Replay r) {
        DeadLetter d = r.deadLetter;
        settleAcknowledgement(d);
        r.audit = audit.begin("replay", d, CLOCK.instant());
        EmbeddedIntents.Rearm armed = EmbeddedIntents.rearm(r.collection, r.documentId, d.entityType(), d.sink(),
                d.firstError(), d.correlationId().orElse(null), CLOCK.instant());
        switch (armed.outcome()) {
            case ARMED, ALREADY_PENDING -> {
                r.version = armed.version();
                r.outcome = armed.outcome() == EmbeddedIntents.Outcome.ARMED ? "armed" : "already pending";
                // the delivery is durable in the primary now; a failure merged into the dead letter since it was read
                // (the re-armed delivery failing already, or a newer version) stays
                boolean removed = primary.deadLetters().removeIfUnchanged(d);
                r.detail = "recovery delivers version " + armed.version() + (removed ? ""
                        : "; the dead letter stays: it failed again since it was read");
            }
            case NO_DOCUMENT, NOT_MANAGED -> {
                r.outcome = "not armed";
                r.detail = armed.outcome() == EmbeddedIntents.Outcome.NO_DOCUMENT ? "the entity left the primary"
                        : "the entity was never written through dualwrite";
            }
            default -> throw new IllegalStateException("unknown outcome " + armed.outcome());
        }
        audit.end(r.audit, r.outcome + ": " + r.detail, CLOCK.instant());
    }

    /**
     * Waits, if needed, until the application has surely dropped the intent it dead-lettered: it stores the dead
     * letter first and removes the intent with its next batch of acknowledgements (every 20 ms by default), and that
     * removal would also remove an intent re-armed before it landed.
     */
    private void settleAcknowledgement(DeadLetter d) {
        Duration left = Duration.between(CLOCK.instant(), d.lastFailedAt().plus(ACKNOWLEDGEMENT_SETTLE));
        if (!left.isNegative() && !left.isZero()) {
            try {
                Thread.sleep(left.toMillis() + 1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(DualWriteCli.EXIT_FAILED, "interrupted before replaying " + d.id());
            }
        }
    }

    /** @return true when every armed replay was delivered before the timeout */
    private boolean follow(Primary primary, Audit audit, List<Replay> replays) {
        Instant deadline = CLOCK.instant().plus(timeout);
        List<Replay> open = new ArrayList<>();
        replays.stream().filter(r -> !r.outcome.equals("not armed")).forEach(open::add);
        while (!open.isEmpty()) {
            for (var it = open.iterator(); it.hasNext(); ) {
                Replay r = it.next();
                if (settle(primary, r)) {
                    audit.end(r.audit, r.outcome + ": " + r.detail, CLOCK.instant());
                    err().println(r.deadLetter.id() + ": " + r.outcome + (r.detail == null ? "" : " (" + r.detail + ")"));
                    err().flush();
                    it.remove();
                }
            }
            if (open.isEmpty() || !CLOCK.instant().isBefore(deadline)) {
                break;
            }
            if (!Times.pause(poll)) {
                break;
            }
        }
        for (Replay r : open) {
            r.outcome = "still pending";
            r.detail = "not delivered within " + Times.human(timeout) + "; is the application's recovery worker running?";
        }
        return replays.stream().allMatch(r -> r.outcome.equals("delivered"));
    }

    /** @return true when the replay's delivery is settled: its intent is gone, delivered or dead-lettered again */
    private static boolean settle(Primary primary, Replay r) {
        BsonDocument doc = r.collection.find(Filters.eq("_id", r.documentId)).projection(EmbeddedIntents.metadataOnly())
                .first();
        Intent pending = doc == null ? null : EmbeddedIntents.deliveriesOf(doc)
                .map(d -> d.pending().get(r.deadLetter.sink())).orElse(null);
        if (pending != null) {
            return false;
        }
        // recovery stores the dead letter before it removes the intent, so a failure is visible by now
        Optional<DeadLetter> again = primary.deadLetters().get(r.deadLetter.id()).filter(d -> d.version() >= r.version);
        if (again.isPresent()) {
            r.outcome = "dead-lettered again";
            r.detail = again.get().kind() + ": " + again.get().lastError();
        } else {
            r.outcome = "delivered";
            r.detail = "version " + r.version + " or newer";
        }
        return true;
    }
}
