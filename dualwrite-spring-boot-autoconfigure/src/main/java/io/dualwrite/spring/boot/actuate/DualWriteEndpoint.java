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
package io.dualwrite.spring.boot.actuate;

import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.ErrorKind;
import io.dualwrite.mongo.operations.DeadLetters;
import io.dualwrite.mongo.operations.OperationRejectedException;
import io.dualwrite.mongo.operations.Operations;
import io.dualwrite.mongo.reconcile.ReconcileRequest;
import io.dualwrite.reconcile.ReconcileMode;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The {@code dualwrite} Actuator endpoint, over {@link Operations}:
 * <ul>
 *   <li>{@code GET /actuator/dualwrite}: per entity type and sink, the pending deliveries and dead letters by error
 *       kind; the recovery leases; the latest reconciliation of each type;</li>
 *   <li>{@code GET /actuator/dualwrite/dead-letters?type=&sink=&kind=&entityId=&limit=}: dead letters, oldest first;
 *       with {@code id=TYPE/ENTITY-ID#SINK}, one in full with where its entity stands;</li>
 *   <li>{@code POST /actuator/dualwrite/dead-letters} with {@code {"action": "replay" | "discard", "id": …, "by": …,
 *       "reason": …}}: replays one through the application's writer, or discards it (a reason is required); each act
 *       leaves an audit record;</li>
 *   <li>{@code GET /actuator/dualwrite/reconciliations?type=&limit=}: past runs with their drift and repairs; with
 *       {@code id=…}, one request with its progress and report;</li>
 *   <li>{@code POST /actuator/dualwrite/reconciliations} with {@code {"action": "request", "type": …, "mode":
 *       "dry-run" | "apply", "sinks": "a,b", "after": …, "to": …, "ids": "x,y", "by": …}}: records a reconciliation
 *       request, which one instance's request worker runs.</li>
 * </ul>
 * Bad input is answered with 400 and the reason; a named dead letter or request that does not exist with 404 (for
 * reads; 400 for acts). Times are ISO-8601 text. Thread-safe.
 */
@Endpoint(id = "dualwrite")
public class DualWriteEndpoint {
    static final String DEAD_LETTERS = "dead-letters";
    static final String RECONCILIATIONS = "reconciliations";
    /** Who acts when the caller does not say. */
    static final String DEFAULT_ACTOR = "actuator";

    private final Operations ops;

    /** @param ops the operations on the application's primary */
    public DualWriteEndpoint(Operations ops) {
        this.ops = Objects.requireNonNull(ops, "ops");
    }

    /** @return the backlog and dead letters per entity type and sink, the leases, the latest reconciliations */
    @ReadOperation
    public Map<String, Object> status() {
        Operations.Status status = ops.status(null);
        List<Map<String, Object>> deliveries = new ArrayList<>();
        for (Operations.SinkBacklog b : status.deliveries()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", b.type());
            m.put("sink", b.sink());
            m.put("intents", b.intents());
            m.put("pending", b.pending());
            m.put("due", b.due());
            m.put("oldestDue", text(b.oldestDue()));
            m.put("maxAttempts", b.maxAttempts());
            m.put("deadLetters", b.deadLetterCount());
            m.put("deadLettersByKind", b.deadLetters());
            deliveries.add(m);
        }
        List<Map<String, Object>> leases = new ArrayList<>();
        for (Operations.LeaseHolding l : status.leases()) {
            leases.add(ordered("type", l.type(), "owner", l.owner(), "entities", l.entities(), "until",
                    text(l.until())));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("deliveries", deliveries);
        out.put("leases", leases);
        out.put("reconciliations", status.reconciliations().stream().map(DualWriteEndpoint::run).toList());
        return out;
    }

    /**
     * @param section  {@code dead-letters} or {@code reconciliations}
     * @param id       one dead letter's or request's id; null for a list
     * @param type     only this entity type's
     * @param sink     only this sink's dead letters
     * @param kind     only dead letters whose last failure was of this error kind
     * @param entityId only this entity's dead letters
     * @param limit    the most listed
     * @return the list, or the one named; null (404) when the one named does not exist
     */
    @ReadOperation
    public @Nullable Object read(@Selector String section, @Nullable String id, @Nullable String type,
                                 @Nullable String sink, @Nullable String kind, @Nullable String entityId,
                                 @Nullable Integer limit) {
        try {
            return switch (section) {
                case DEAD_LETTERS -> id != null ? deadLetter(ops.deadLetter(id))
                        : Map.of("deadLetters", ops.deadLetters(query(type, sink, kind, entityId, limit)).stream()
                                .map(DualWriteEndpoint::fields).toList());
                case RECONCILIATIONS -> id != null ? request(ops.reconciliation(id))
                        : Map.of("runs", ops.reconciliationHistory(type, limit == null ? 20 : limit).stream()
                                .map(p -> {
                                    Map<String, Object> m = run(p.report());
                                    m.put("request", p.requestId());
                                    return m;
                                }).toList());
                default -> throw unknownSection(section);
            };
        } catch (OperationRejectedException e) {
            if (e.rejection() == OperationRejectedException.Rejection.NOT_FOUND) {
                return null;
            }
            throw new InvalidEndpointRequestException(e.getMessage(), e.getMessage());
        } catch (IllegalArgumentException e) {
            // a filter the query refuses (a limit below one, say): bad input, not a server error
            throw new InvalidEndpointRequestException(e.getMessage(), e.getMessage());
        }
    }

    /**
     * @param section {@code dead-letters} or {@code reconciliations}
     * @param action  {@code replay} or {@code discard} (dead letters), {@code request} (reconciliations)
     * @param id      the dead letter's id
     * @param type    the entity type to reconcile
     * @param mode    {@code dry-run} or {@code apply}
     * @param sinks   the sinks to reconcile, comma-separated; null for every sink
     * @param after   reconcile ids after this one
     * @param to      reconcile ids up to this one
     * @param ids     reconcile these ids, comma-separated
     * @param by      who acts; default {@value #DEFAULT_ACTOR}
     * @param reason  why (required to discard)
     * @return what was done
     */
    @WriteOperation
    public Map<String, Object> act(@Selector String section, String action, @Nullable String id,
                                   @Nullable String type, @Nullable String mode, @Nullable String sinks,
                                   @Nullable String after, @Nullable String to, @Nullable String ids,
                                   @Nullable String by, @Nullable String reason) {
        String actor = by == null || by.isBlank() ? DEFAULT_ACTOR : by;
        try {
            return switch (section + " " + action) {
                case DEAD_LETTERS + " replay" -> {
                    Operations.Replay r = ops.replay(List.of(ops.deadLetter(required(id, "id"))), actor, reason).get(0);
                    yield ordered("id", r.deadLetter().id(), "outcome", r.outcome().text(), "detail", r.detail(),
                            "audit", r.auditId());
                }
                case DEAD_LETTERS + " discard" -> {
                    Operations.Discard d = ops.discard(List.of(ops.deadLetter(required(id, "id"))), actor, reason)
                            .get(0);
                    yield ordered("id", d.deadLetter().id(), "outcome", d.outcome().text(), "audit", d.auditId());
                }
                case RECONCILIATIONS + " request" -> request(ops.requestReconciliation(required(type, "type"),
                        scope(after, to, ids, sinks), mode(mode), actor));
                default -> throw new InvalidEndpointRequestException("no action '" + action + "' on '" + section
                        + "' (dead-letters: replay, discard; reconciliations: request)", "unknown action");
            };
        } catch (OperationRejectedException e) {
            throw new InvalidEndpointRequestException(e.getMessage(), e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new InvalidEndpointRequestException(e.getMessage(), e.getMessage());
        }
    }

    private static InvalidEndpointRequestException unknownSection(String section) {
        return new InvalidEndpointRequestException("no section '" + section + "' (" + DEAD_LETTERS + ", "
                + RECONCILIATIONS + ")", "unknown section");
    }

    private static String required(@Nullable String value, String name) {
        if (value == null || value.isBlank()) {
            throw new InvalidEndpointRequestException("'" + name + "' is required", "missing " + name);
        }
        return value;
    }

    private static DeadLetterQuery query(@Nullable String type, @Nullable String sink, @Nullable String kind,
                                         @Nullable String entityId, @Nullable Integer limit) {
        DeadLetterQuery.Builder q = DeadLetterQuery.builder();
        if (type != null) {
            q.entityType(type);
        }
        if (sink != null) {
            q.sink(sink);
        }
        if (kind != null) {
            q.kind(parse(() -> ErrorKind.valueOf(kind.toUpperCase(Locale.ROOT)), "'" + kind + "' is no error kind ("
                    + Arrays.toString(ErrorKind.values()) + ")"));
        }
        if (entityId != null) {
            q.entityId(entityId);
        }
        if (limit != null) {
            q.limit(limit);
        }
        return q.build();
    }

    private static ReconcileMode mode(@Nullable String mode) {
        return switch (required(mode, "mode")) {
            case "dry-run" -> ReconcileMode.DRY_RUN;
            case "apply" -> ReconcileMode.APPLY;
            default -> throw new InvalidEndpointRequestException("'mode' is dry-run or apply, not '" + mode + "'",
                    "bad mode");
        };
    }

    private static ReconcileScope scope(@Nullable String after, @Nullable String to, @Nullable String ids,
                                        @Nullable String sinks) {
        ReconcileScope scope = ids != null ? ReconcileScope.ids(List.of(ids.split(",")))
                : after != null || to != null ? ReconcileScope.range(after, to) : ReconcileScope.all();
        return sinks == null ? scope : scope.sinks(sinks.split(","));
    }

    private static <T> T parse(Supplier<T> parse, String message) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new InvalidEndpointRequestException(message, message);
        }
    }

    private Map<String, Object> deadLetter(DeadLetter d) {
        Operations.EntityState s = ops.entityOf(d);
        Map<String, Object> entity = new LinkedHashMap<>();
        entity.put("state", s.state());
        entity.put("version", s.version());
        entity.put("pendingToSink", s.pendingToSink() == null ? null : Map.of("version", s.pendingToSink().version(),
                "due", text(s.pendingToSink().dueAt()), "attempts", s.pendingToSink().attempts()));
        entity.put("leaseOwner", s.leaseOwner());
        entity.put("leaseUntil", text(s.leaseUntil()));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("deadLetter", fields(d));
        out.put("entity", entity);
        return out;
    }

    private static Map<String, Object> fields(DeadLetter d) {
        Map<String, Object> out = new LinkedHashMap<>();
        DeadLetters.fields(d).forEach((k, v) -> out.put(k, v instanceof Instant i ? i.toString() : v));
        return out;
    }

    private static Map<String, Object> request(ReconcileRequest r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", r.id());
        out.put("type", r.entityType());
        out.put("mode", r.mode().name());
        out.put("scope", r.scope().toString());
        out.put("sinks", List.copyOf(r.scope().sinks()));
        out.put("status", r.status().name());
        out.put("phase", r.phase());
        out.put("requestedBy", r.requestedBy());
        out.put("requestedAt", text(r.requestedAt()));
        out.put("holder", r.owner());
        out.put("attempts", r.attempts());
        out.put("progress", r.lastProgress().map(p -> Map.of("sink", p.sink(), "ids", p.idsDone(),
                "estimatedTotal", p.estimatedTotal(), "idsPerSecond", p.idsPerSecond())).orElse(null));
        out.put("reason", r.reason());
        out.put("report", r.finalReport().map(DualWriteEndpoint::run).orElse(null));
        return out;
    }

    private static Map<String, Object> run(ReconcileReport r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("runId", r.runId());
        out.put("type", r.entityType());
        out.put("mode", r.mode().name());
        out.put("status", r.status().name());
        out.put("startedAt", text(r.startedAt()));
        out.put("durationMillis", r.durationMillis());
        out.put("scope", r.scope());
        out.put("sinks", r.sinks());
        out.put("drift", r.drift());
        Map<String, Long> byClass = new LinkedHashMap<>();
        r.driftByClass().forEach((c, n) -> byClass.put(c.name(), n));
        out.put("driftByClass", byClass);
        out.put("repaired", r.repaired());
        return out;
    }

    /** @return the keys and values, in their order (JSON shows them so) */
    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            out.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return out;
    }

    private static @Nullable String text(@Nullable Instant i) {
        return i == null ? null : i.toString();
    }
}
