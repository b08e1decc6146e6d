package io.dualwrite.cli.internal;

import com.mongodb.client.model.Accumulators;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import io.dualwrite.mongo.DualWriteFilters;
import io.dualwrite.mongo.MongoDeadLetterStore;
import io.dualwrite.mongo.internal.EmbeddedIntents;
import io.dualwrite.mongo.internal.Meta;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.spi.Intent;
import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.conversions.Bson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code dualwrite status}: per entity type and sink, the pending intents (how many, how many due, the oldest due
 * time's age, the most attempts), the dead letters by error kind, and the recovery leases with who holds them.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Per entity type and sink: pending intents, how many are due, how long the oldest has been due,"
                + " the most attempts spent, and the dead letters by error kind; then the recovery leases held and"
                + " who holds them; and the latest reconciliation run of each type, with its drift by class.",
                "Pending intents are read from the documents' dualwrite metadata (embedded intents)."})
final class StatusCommand extends PrimaryCommand {
    @Option(names = {"-t", "--type"}, paramLabel = "TYPE", description = "only this entity type")
    String type;

    @Override
    int run(Primary primary, Render render, Root root) {
        Instant now = CLOCK.instant();
        List<String> types = type != null ? List.of(primary.requireType(type)) : primary.knownTypes();
        Map<String, Map<String, Map<String, Long>>> dead = deadLetterCounts(primary, type);
        List<Map<String, Object>> sinks = new ArrayList<>();
        List<Map<String, Object>> leases = new ArrayList<>();
        for (String t : types) {
            Map<String, SinkFigures> bySink = new TreeMap<>();
            Map<String, LeaseFigures> byOwner = new TreeMap<>();
            if (primary.types().containsKey(t)) {
                read(primary, t, now, bySink, byOwner);
            }
            dead.getOrDefault(t, Map.of()).keySet().forEach(s -> bySink.computeIfAbsent(s, k -> new SinkFigures()));
            for (Map.Entry<String, SinkFigures> e : bySink.entrySet()) {
                SinkFigures f = e.getValue();
                Map<String, Long> kinds = dead.getOrDefault(t, Map.of()).getOrDefault(e.getKey(), Map.of());
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("type", t);
                row.put("sink", e.getKey());
                row.put("pending", f.pending);
                row.put("due", f.due);
                row.put("oldest_due_for", f.oldestDue == null || f.oldestDue.isAfter(now) ? null
                        : Duration.between(f.oldestDue, now));
                row.put("max_attempts", f.pending == 0 ? null : f.maxAttempts);
                row.put("dead_letters", kinds.values().stream().mapToLong(Long::longValue).sum());
                row.put("dead_by_kind", kinds);
                sinks.add(row);
            }
            for (Map.Entry<String, LeaseFigures> e : byOwner.entrySet()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("type", t);
                row.put("owner", e.getKey());
                row.put("entities", e.getValue().entities);
                row.put("until", e.getValue().until);
                leases.add(row);
            }
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("deliveries", sinks);
        report.put("leases", leases);
        report.put("reconciliation", lastReconciliations(primary, types));
        render.print(report);
        return 0;
    }

    /** Reads the pending intents and live leases of one type's collection. */
    private static void read(Primary primary, String type, Instant now, Map<String, SinkFigures> bySink,
                             Map<String, LeaseFigures> byOwner) {
        Bson pendingOrLeased = Filters.or(DualWriteFilters.pending(), Filters.gt(Meta.LEASE_UNTIL_PATH, now));
        for (BsonDocument doc : primary.collectionOf(type).find(pendingOrLeased)
                .projection(EmbeddedIntents.metadataOnly())) {
            EmbeddedIntents.deliveriesOf(doc).ifPresent(d -> {
                for (Intent i : d.pending().values()) {
                    SinkFigures f = bySink.computeIfAbsent(i.sink(), k -> new SinkFigures());
                    f.pending++;
                    if (!i.dueAt().isAfter(now)) {
                        f.due++;
                    }
                    f.oldestDue = f.oldestDue == null || i.dueAt().isBefore(f.oldestDue) ? i.dueAt() : f.oldestDue;
                    f.maxAttempts = Math.max(f.maxAttempts, i.attempts());
                }
                if (d.leasedAt(now)) {
                    LeaseFigures l = byOwner.computeIfAbsent(d.leaseOwner(), k -> new LeaseFigures());
                    l.entities++;
                    l.until = l.until == null || d.leaseUntil().isAfter(l.until) ? d.leaseUntil() : l.until;
                }
            });
        }
    }

    /** @return per type, the latest reconciliation run the application stored, and its drift by class */
    private static List<Map<String, Object>> lastReconciliations(Primary primary, List<String> types) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String t : types) {
            for (ReconcileReport r : primary.reconcileReports().reports(t, 1)) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("type", t);
                row.put("mode", r.mode().name());
                row.put("status", r.status().name());
                row.put("started", r.startedAt());
                row.put("ended", r.endedAt());
                row.put("sinks", r.sinks());
                row.put("drift", r.drift());
                row.put("drift_by_class", RequestView.byClass(r));
                row.put("repaired", r.repaired());
                rows.add(row);
            }
        }
        return rows;
    }

    /** @return dead letters counted by type, sink and kind */
    private static Map<String, Map<String, Map<String, Long>>> deadLetterCounts(Primary primary, String type) {
        List<Bson> pipeline = new ArrayList<>();
        if (type != null) {
            pipeline.add(Aggregates.match(Filters.eq(MongoDeadLetterStore.FIELD_TYPE, type)));
        }
        pipeline.add(Aggregates.group(new Document(MongoDeadLetterStore.FIELD_TYPE, "$" + MongoDeadLetterStore.FIELD_TYPE)
                        .append(MongoDeadLetterStore.FIELD_SINK, "$" + MongoDeadLetterStore.FIELD_SINK)
                        .append(MongoDeadLetterStore.FIELD_KIND, "$" + MongoDeadLetterStore.FIELD_KIND),
                Accumulators.sum("n", 1)));
        pipeline.add(Aggregates.sort(Sorts.ascending("_id." + MongoDeadLetterStore.FIELD_TYPE,
                "_id." + MongoDeadLetterStore.FIELD_SINK, "_id." + MongoDeadLetterStore.FIELD_KIND)));
        Map<String, Map<String, Map<String, Long>>> out = new TreeMap<>();
        for (Document d : primary.deadLetters().collection().aggregate(pipeline)) {
            Document key = d.get("_id", Document.class);
            out.computeIfAbsent(key.getString(MongoDeadLetterStore.FIELD_TYPE), k -> new TreeMap<>())
                    .computeIfAbsent(key.getString(MongoDeadLetterStore.FIELD_SINK), k -> new TreeMap<>())
                    .put(key.getString(MongoDeadLetterStore.FIELD_KIND), d.get("n", Number.class).longValue());
        }
        return out;
    }

    private static final class SinkFigures {
        long pending;
        long due;
        Instant oldestDue;
        int maxAttempts;
    }

    private static final class LeaseFigures {
        long entities;
        Instant until;
    }
}
