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
package io.dualwrite.mongo.reconcile;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexModel;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import io.dualwrite.internal.Args;
import io.dualwrite.mongo.internal.OnPrimary;
import io.dualwrite.reconcile.DriftClass;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.spi.ReconcileCheckpoint;
import io.dualwrite.spi.ReconcileStore;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A durable {@link ReconcileStore} in two MongoDB collections: one document per run key (its run
 * key as {@code _id}), the checkpoint of the unfinished run, replaced after every chunk, or the
 * end of the last run's ({@code ended: true}), and one document per run report (its
 * run id as {@code _id}), kept as the audit log. Each report document carries the figures an
 * operator filters on as plain fields ({@code type}, {@code mode}, {@code status},
 * {@code startedAt}, {@code endedAt}, {@code durationMillis}, {@code drift}, {@code repaired},
 * {@code phantoms}, {@code contentMismatches}, {@code scope}, {@code sinks}, {@code resumes}) and the whole report
 * as JSON text in {@code json}, which {@link #reports} reads back.
 *
 * <pre>{@code
 * ReconcileStore store = MongoReconcileStore.builder(database).build();
 * Reconciler reconciler = Reconciler.<Product>builder()...store(store).build();
 * }</pre>
 * Thread-safe; several processes may share the collections (one run of a scope at a time).
 */
public final class MongoReconcileStore implements ReconcileStore {
    private static final Logger LOG = LoggerFactory.getLogger(MongoReconcileStore.class);
    /** Marks a run key's document as the end of its run's checkpoint (no checkpoint is there). */
    private static final String ENDED = "ended";
    /** Default collection of checkpoints. */
    public static final String DEFAULT_CHECKPOINTS = "dualwrite_reconcile_checkpoints";
    /** Default collection of reports. */
    public static final String DEFAULT_REPORTS = "dualwrite_reconcile_reports";
    /** Name of the index that lists an entity type's reports, latest first. */
    public static final String INDEX_REPORTS_BY_TYPE = "dualwrite_reconcile_reports_type";

    private final MongoCollection<Document> checkpoints;
    private final MongoCollection<Document> reports;
    private final Clock clock;

    private MongoReconcileStore(MongoCollection<Document> checkpoints, MongoCollection<Document> reports,
                                boolean createIndexes, Clock clock) {
        this.checkpoints = checkpoints;
        this.reports = reports;
        this.clock = clock;
        if (createIndexes) {
            ensureIndexes();
        }
    }

    /**
     * @param database the database that holds the collections (usually the primary's)
     * @return a new builder
     */
    public static Builder builder(MongoDatabase database) {
        return new Builder(database);
    }

    /**
     * Creates the index of the reports collection if it is missing. Idempotent.
     *
     * @return its name
     */
    public String ensureIndexes() {
        return reports.createIndexes(List.of(new IndexModel(Indexes.compoundIndex(Indexes.ascending("type"),
                Indexes.descending("startedAt", "savedAt")), new IndexOptions().name(INDEX_REPORTS_BY_TYPE)))).get(0);
    }

    /** @return the collection of checkpoints */
    public MongoCollection<Document> checkpointCollection() {
        return checkpoints;
    }

    /** @return the collection of reports */
    public MongoCollection<Document> reportCollection() {
        return reports;
    }

    @Override
    public Optional<ReconcileCheckpoint> checkpoint(String runKey) {
        Objects.requireNonNull(runKey, "runKey");
        Document d = checkpoints.find(Filters.and(Filters.eq("_id", runKey), Filters.ne(ENDED, true))).first();
        if (d == null) {
            return Optional.empty();
        }
        ReconcileReport report = ReconcileReport.fromJson(d.getString("report"));
        Number claimed = d.get("resumes", Number.class);
        if (claimed != null && claimed.intValue() > report.resumes()) {
            report = report.asExecution(claimed.intValue()); // an execution claimed it since it was written
        }
        return Optional.of(new ReconcileCheckpoint(runKey, d.getString("sink"), d.getString("lastId"), report,
                d.getDate("updatedAt").toInstant()));
    }

    @Override
    public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
        Objects.requireNonNull(checkpoint, "checkpoint");
        Document d = new Document("_id", checkpoint.runKey())
                .append("sink", checkpoint.sink())
                .append("lastId", checkpoint.lastId())
                .append("runId", checkpoint.report().runId())
                .append("chunks", checkpoint.report().chunks())
                .append("report", checkpoint.report().toJson())
                .append("resumes", checkpoint.report().resumes())
                .append("updatedAt", Date.from(checkpoint.updatedAt()));
        // the run's own live checkpoint of no later execution, or another run's that ended
        String runId = checkpoint.report().runId();
        Bson notTakenOver = Filters.and(Filters.eq("_id", checkpoint.runKey()), Filters.or(
                Filters.and(Filters.eq("runId", runId), Filters.ne(ENDED, true), notLaterThan(checkpoint.report().resumes())),
                Filters.and(Filters.ne("runId", runId), Filters.eq(ENDED, true))));
        if (!replaceUnlessTakenOver(checkpoints, notTakenOver, d)) {
            LOG.warn("reconciliation {}: a checkpoint of its execution {} is not stored: a later execution of the run,"
                    + " or another run, holds the run key, or the run ended", runId, checkpoint.report().resumes());
        }
    }

    @Override
    public OptionalInt claimResume(ReconcileCheckpoint checkpoint) {
        Objects.requireNonNull(checkpoint, "checkpoint");
        Bson ofTheRun = Filters.and(Filters.eq("_id", checkpoint.runKey()),
                Filters.eq("runId", checkpoint.report().runId()), Filters.ne(ENDED, true));
        // a checkpoint written before executions were numbered beside it starts from its report's (one winner)
        checkpoints.updateOne(Filters.and(ofTheRun, Filters.exists("resumes", false)),
                Updates.set("resumes", checkpoint.report().resumes()));
        // one command: the checkpoint of that run, if it is still there, records the next execution number; an
        // earlier execution's checkpoint (fewer resumes) is refused from then on
        Document d = checkpoints.findOneAndUpdate(ofTheRun, Updates.inc("resumes", 1),
                new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
        return d == null ? OptionalInt.empty() : OptionalInt.of(d.get("resumes", Number.class).intValue());
    }

    @Override
    public void endCheckpoint(String runKey, String runId, int resumes) {
        Objects.requireNonNull(runKey, "runKey");
        Objects.requireNonNull(runId, "runId");
        // one command: the run's own checkpoint of no later execution (or none at all) becomes its end; a stale
        // execution's end landing late leaves another execution's, or another run's, checkpoint alone
        Document end = new Document("_id", runKey).append("runId", runId).append("resumes", resumes)
                .append(ENDED, true).append("updatedAt", Date.from(clock.instant()));
        Bson own = Filters.and(Filters.eq("_id", runKey), Filters.eq("runId", runId), notLaterThan(resumes));
        replaceUnlessTakenOver(checkpoints, own, end);
    }

    @Override
    public void clearCheckpoint(String runKey) {
        Objects.requireNonNull(runKey, "runKey");
        checkpoints.deleteOne(Filters.eq("_id", runKey));
    }

    @Override
    public void saveReport(ReconcileReport report) {
        Objects.requireNonNull(report, "report");
        Document d = new Document("_id", report.runId())
                .append("type", report.entityType())
                .append("mode", report.mode().name())
                .append("status", report.status().name())
                .append("scope", report.scope())
                .append("sinks", report.sinks())
                .append("startedAt", Date.from(report.startedAt()))
                .append("endedAt", report.endedAt() == null ? null : Date.from(report.endedAt()))
                .append("durationMillis", report.durationMillis())
                .append("drift", report.drift())
                .append("repaired", report.repaired())
                .append("phantoms", report.count(DriftClass.AHEAD))
                .append("contentMismatches", report.count(DriftClass.CONTENT_MISMATCH))
                .append("errors", report.errors().size())
                .append("savedAt", Date.from(clock.instant()))
                .append("resumes", report.resumes())
                .append("json", report.toJson());
        // one conditional replace: a report of an execution that a later one took over (more resumes) stays; the
        // upsert then collides with it on _id, and the stale report is dropped
        Bson notTakenOver = Filters.and(Filters.eq("_id", report.runId()), notLaterThan(report.resumes()));
        if (!replaceUnlessTakenOver(reports, notTakenOver, d)) {
            LOG.warn("reconciliation {}: a report of its execution {} is not stored, a later execution of the run"
                    + " stored its own", report.runId(), report.resumes());
        }
    }

    /**
     * One conditional replace, upserting: when the filter (the document's {@code _id} and a condition) does not match
     * because the document there fails the condition, the upsert collides with it on {@code _id}.
     *
     * @return false when the document there failed the condition and was left as it is
     */
    private static boolean replaceUnlessTakenOver(MongoCollection<Document> collection, Bson filter, Document d) {
        try {
            collection.replaceOne(filter, d, new ReplaceOptions().upsert(true));
            return true;
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                throw e;
            }
            return false;
        }
    }

    /** @return documents of no later execution than {@code resumes} (those stored before numbers were kept too) */
    private static Bson notLaterThan(int resumes) {
        return Filters.or(Filters.lte("resumes", resumes), Filters.exists("resumes", false));
    }

    @Override
    public List<ReconcileReport> reports(String entityType, int limit) {
        Objects.requireNonNull(entityType, "entityType");
        Args.atLeast(limit, 1, "limit");
        return latest(Filters.eq("type", entityType), limit);
    }

    @Override
    public Optional<ReconcileReport> report(String entityType, String runId) {
        Objects.requireNonNull(entityType, "entityType");
        Objects.requireNonNull(runId, "runId");
        Document d = reports.find(Filters.and(Filters.eq("_id", runId), Filters.eq("type", entityType))).first();
        return d == null ? Optional.empty() : Optional.of(ReconcileReport.fromJson(d.getString("json")));
    }

    /**
     * The latest reports of every entity type: the audit log as an operator reads it.
     *
     * @param limit the most reports, at least 1
     * @return reports of every entity type, the latest started first
     * @throws IllegalArgumentException if limit is below 1
     */
    public List<ReconcileReport> latestReports(int limit) {
        Args.atLeast(limit, 1, "limit");
        return latest(new Document(), limit);
    }

    private List<ReconcileReport> latest(Bson filter, int limit) {
        List<ReconcileReport> out = new ArrayList<>();
        for (Document d : reports.find(filter).sort(Sorts.descending("startedAt", "savedAt")).limit(limit)) {
            out.add(ReconcileReport.fromJson(d.getString("json")));
        }
        return out;
    }

    @Override
    public String toString() {
        return "MongoReconcileStore{" + checkpoints.getNamespace() + ", " + reports.getNamespace() + "}";
    }

    /** Builds a {@link MongoReconcileStore}. Not thread-safe. */
    public static final class Builder {
        private final MongoDatabase database;
        private String checkpointsName = DEFAULT_CHECKPOINTS;
        private String reportsName = DEFAULT_REPORTS;
        private boolean createIndexes = true;
        private Clock clock = Clock.systemUTC();

        private Builder(MongoDatabase database) {
            this.database = Objects.requireNonNull(database, "database");
        }

        /**
         * @param name the checkpoints collection; default {@value MongoReconcileStore#DEFAULT_CHECKPOINTS}
         * @return this
         */
        public Builder checkpointsCollection(String name) {
            this.checkpointsName = checkName(name);
            return this;
        }

        /**
         * @param name the reports collection; default {@value MongoReconcileStore#DEFAULT_REPORTS}
         * @return this
         */
        public Builder reportsCollection(String name) {
            this.reportsName = checkName(name);
            return this;
        }

        /**
         * @param create whether {@link #build()} creates the reports index; default true
         * @return this
         */
        public Builder createIndexes(boolean create) {
            this.createIndexes = create;
            return this;
        }

        /**
         * @param clock the clock of each report's {@code savedAt}, which orders reports started at the
         *              same instant; default {@link Clock#systemUTC()}
         * @return this
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        private static String checkName(String name) {
            Objects.requireNonNull(name, "name");
            Args.notBlank(name, "collection name");
            return name;
        }

        /**
         * @return the store
         * @throws IllegalStateException if both collections have the same name
         */
        public MongoReconcileStore build() {
            if (checkpointsName.equals(reportsName)) {
                throw new IllegalStateException("checkpoints and reports need two collections, both are '"
                        + checkpointsName + "'");
            }
            return new MongoReconcileStore(OnPrimary.of(database.getCollection(checkpointsName)),
                    OnPrimary.of(database.getCollection(reportsName)),
                    createIndexes, clock);
        }
    }
}
