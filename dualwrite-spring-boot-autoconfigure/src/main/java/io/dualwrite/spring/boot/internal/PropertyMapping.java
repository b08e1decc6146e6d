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
package io.dualwrite.spring.boot.internal;

import io.dualwrite.DualWriter;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.RecoveryWorker;
import io.dualwrite.RecoveryWorkerBuilder;
import io.dualwrite.SinkSettings;
import io.dualwrite.mongo.reconcile.ReconcileRequestWorker;
import io.dualwrite.mongo.reconcile.ReconcileRequests;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.spring.boot.DualWriteProperties;
import io.dualwrite.spring.boot.DualWriteProperties.SinkProperties;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.dualwrite.spring.boot.internal.PropertyChecks.apply;
import static io.dualwrite.spring.boot.internal.PropertyChecks.applyTogether;

/**
 * Hands {@code dualwrite.entities.<type>.*} values to the builders they configure ({@link DualWriterBuilder},
 * {@link SinkSettings.Builder}, {@link RecoveryWorkerBuilder}, Resilience4j's {@link CircuitBreakerConfig.Builder}),
 * so that each value is checked once, by its builder, and a refused one names its property. Stateless.
 */
public final class PropertyMapping {
    private PropertyMapping() {
    }

    /**
     * @param entityType the entity type's name
     * @return {@code dualwrite.entities.<type>.}
     */
    public static String prefix(String entityType) {
        return "dualwrite.entities." + entityType + ".";
    }

    /**
     * Applies an entity type's request-key window and recovery settings to its writer's builder.
     *
     * @param builder    the writer's builder
     * @param entityType the entity type's name
     * @param entity     its properties
     * @throws IllegalArgumentException naming the property whose value the builder refused
     */
    public static void writer(DualWriterBuilder<?> builder, String entityType, DualWriteProperties.Entity entity) {
        String p = prefix(entityType);
        DualWriteProperties.Recovery r = entity.getRecovery();
        apply(p + "request-key-window", entity.getRequestKeyWindow(), builder::requestKeyWindow);
        apply(p + "recovery.grace-period", r.getGracePeriod(), builder::gracePeriod);
        apply(p + "recovery.batch-size", r.getBatchSize(), builder::recoveryBatchSize);
        apply(p + "recovery.lease", r.getLease(), builder::lease);
        apply(p + "recovery.max-clock-skew", r.getMaxClockSkew(), builder::maxClockSkew);
        applyTogether(ordered(p + "recovery.max-attempts", r.getMaxAttempts(), p + "recovery.initial-backoff",
                        r.getInitialBackoff(), p + "recovery.max-backoff", r.getMaxBackoff()),
                () -> builder.recoveryRetry(r.getMaxAttempts(), r.getInitialBackoff(), r.getMaxBackoff()));
    }

    /**
     * @param writer     a writer
     * @param recovery   its entity type's recovery properties
     * @return its recovery worker, not started
     * @throws IllegalArgumentException naming the property whose value the builder refused
     */
    public static RecoveryWorker worker(DualWriter<?> writer, DualWriteProperties.Recovery recovery) {
        String p = prefix(writer.entityType()) + "recovery.";
        RecoveryWorkerBuilder b = RecoveryWorker.builder(writer);
        apply(p + "interval", recovery.getInterval(), b::interval);
        apply(p + "shutdown-timeout", recovery.getShutdownTimeout(), b::shutdownTimeout);
        return b.build();
    }

    /**
     * @param requests    where the reconciliation requests are recorded
     * @param reconcilers the application's reconcilers, at least one
     * @param properties  {@code dualwrite.reconcile.requests.*}
     * @return the worker that runs the requests with them, not started
     * @throws IllegalArgumentException naming the property whose value the builder refused
     */
    public static ReconcileRequestWorker requestWorker(ReconcileRequests requests, Collection<Reconciler> reconcilers,
                                                       DualWriteProperties.Requests properties) {
        String p = "dualwrite.reconcile.requests.";
        ReconcileRequestWorker.Builder b = ReconcileRequestWorker.builder(requests);
        reconcilers.forEach(b::reconciler);
        apply(p + "interval", properties.getInterval(), b::interval);
        apply(p + "lease", properties.getLease(), b::lease);
        apply(p + "max-attempts", properties.getMaxAttempts(), b::maxAttempts);
        return b.build();
    }

    private static Map<String, Object> ordered(String k1, Object v1, String k2, Object v2, String k3, Object v3) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(k1, v1);
        m.put(k2, v2);
        m.put(k3, v3);
        return m;
    }

    /**
     * @param entityType the entity type's name
     * @param sink       the sink's name
     * @param given      the settings its {@code DualWriteSinks} bean gave
     * @param properties its properties, or null when none were given
     * @return the settings, the properties winning over the bean's
     * @throws IllegalArgumentException naming the property whose value the builder refused
     */
    public static SinkSettings sink(String entityType, String sink, SinkSettings given,
                                    DualWriteProperties.SinkProperties properties) {
        if (properties == null) {
            return given;
        }
        String p = prefix(entityType) + "sinks." + sink + ".";
        SinkSettings.Builder b = given.toBuilder();
        apply(p + "policy", properties.getPolicy(), b::policy);
        apply(p + "ramp-percent", properties.getRampPercent(), b::rampPercent);
        apply(p + "ramp-down-from", properties.getRampDownFrom(), b::rampDownFrom);
        apply(p + "attempt-timeout", properties.getAttemptTimeout(), b::attemptTimeout);
        apply(p + "max-attempts", properties.getMaxAttempts(), b::maxAttempts);
        SinkProperties x = properties;
        applyTogether(ordered(p + "initial-backoff", x.getInitialBackoff(), p + "backoff-multiplier",
                        x.getBackoffMultiplier(), p + "max-backoff", x.getMaxBackoff()),
                () -> b.backoff(x.getInitialBackoff() != null ? x.getInitialBackoff() : given.initialBackoff(),
                        x.getBackoffMultiplier() != null ? x.getBackoffMultiplier() : given.backoffMultiplier(),
                        x.getMaxBackoff() != null ? x.getMaxBackoff() : given.maxBackoff()));
        apply(p + "jitter", properties.getJitter(), b::jitter);
        apply(p + "max-concurrent-calls", properties.getMaxConcurrentCalls(), b::maxConcurrentCalls);
        DualWriteProperties.CircuitBreaker cb = properties.getCircuitBreaker();
        CircuitBreakerConfig.Builder breaker = CircuitBreakerConfig.from(given.circuitBreaker());
        String c = p + "circuit-breaker.";
        apply(c + "failure-rate-threshold", cb.getFailureRateThreshold(), breaker::failureRateThreshold);
        apply(c + "sliding-window-size", cb.getSlidingWindowSize(), breaker::slidingWindowSize);
        apply(c + "minimum-number-of-calls", cb.getMinimumNumberOfCalls(), breaker::minimumNumberOfCalls);
        apply(c + "wait-duration-in-open-state", cb.getWaitDurationInOpenState(), breaker::waitDurationInOpenState);
        apply(c + "permitted-calls-in-half-open-state", cb.getPermittedCallsInHalfOpenState(),
                breaker::permittedNumberOfCallsInHalfOpenState);
        apply(c.substring(0, c.length() - 1), breaker, cfg -> b.circuitBreaker(cfg.build()));
        try {
            return b.build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalArgumentException(p + "*: " + e.getMessage(), e);
        }
    }
}
