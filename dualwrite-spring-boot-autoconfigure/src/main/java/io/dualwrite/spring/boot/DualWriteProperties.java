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
package io.dualwrite.spring.boot;

import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.RecoveryWorker;
import io.dualwrite.mongo.MongoDeadLetterStore;
import io.dualwrite.mongo.reconcile.MongoReconcileStore;
import io.dualwrite.mongo.reconcile.ReconcileRequestWorker;
import org.springframework.boot.context.properties.ConfigurationProperties;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code dualwrite.*} properties. Collections shared by every entity type, and per entity type
 * ({@code dualwrite.entities.<type>}, the type named by its {@link DualWriteSinks} bean): the request-key window,
 * recovery, and per-sink delivery settings. A value the builders refuse fails the start with the property's name.
 * Mutable, bound once at start.
 */
@ConfigurationProperties(prefix = "dualwrite")
public class DualWriteProperties {
    /** Whether repositories marked @DualWritten write through dualwrite. */
    private boolean enabled = true;
    /** Collection of the dead letters of every entity type, unless the application declares its own DeadLetterStore bean. */
    private String deadLetterCollection = MongoDeadLetterStore.DEFAULT_COLLECTION;
    /** Where reconciliation keeps its checkpoints and reports. */
    private Reconcile reconcile = new Reconcile();
    /** Settings per entity type, by the entity type's name. */
    private Map<String, Entity> entities = new LinkedHashMap<>();

    /** @return whether the auto-configuration is on */
    public boolean isEnabled() {
        return enabled;
    }

    /** @param enabled whether the auto-configuration is on; default true */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** @return the dead-letter collection's name */
    public String getDeadLetterCollection() {
        return deadLetterCollection;
    }

    /** @param deadLetterCollection the dead-letter collection's name; default dualwrite_dead_letters */
    public void setDeadLetterCollection(String deadLetterCollection) {
        this.deadLetterCollection = deadLetterCollection;
    }

    /** @return reconciliation's collections */
    public Reconcile getReconcile() {
        return reconcile;
    }

    /** @param reconcile reconciliation's collections */
    public void setReconcile(Reconcile reconcile) {
        this.reconcile = reconcile;
    }

    /** @return settings per entity type */
    public Map<String, Entity> getEntities() {
        return entities;
    }

    /** @param entities settings per entity type */
    public void setEntities(Map<String, Entity> entities) {
        this.entities = entities;
    }

    /**
     * @param entityType an entity type's name
     * @return its settings, defaults if none were given
     */
    public Entity entity(String entityType) {
        return entities.getOrDefault(entityType, new Entity());
    }

    /** Reconciliation's collections, and the worker that runs the reconciliation requests. */
    public static class Reconcile {
        /** Collection where a reconciliation run keeps its checkpoint, to resume after a crash. */
        private String checkpointCollection = MongoReconcileStore.DEFAULT_CHECKPOINTS;
        /** Collection of the reports of finished reconciliation runs. */
        private String reportCollection = MongoReconcileStore.DEFAULT_REPORTS;
        /** The worker that runs the reconciliation requests filed from the command line or the endpoint. */
        private Requests requests = new Requests();

        /** @return the request worker's settings */
        public Requests getRequests() {
            return requests;
        }

        /** @param requests the request worker's settings */
        public void setRequests(Requests requests) {
            this.requests = requests;
        }

        /** @return the checkpoint collection's name */
        public String getCheckpointCollection() {
            return checkpointCollection;
        }

        /** @param checkpointCollection the checkpoint collection's name; default dualwrite_reconcile_checkpoints */
        public void setCheckpointCollection(String checkpointCollection) {
            this.checkpointCollection = checkpointCollection;
        }

        /** @return the report collection's name */
        public String getReportCollection() {
            return reportCollection;
        }

        /** @param reportCollection the report collection's name; default dualwrite_reconcile_reports */
        public void setReportCollection(String reportCollection) {
            this.reportCollection = reportCollection;
        }
    }

    /** The worker that runs reconciliation requests in this application ({@code ReconcileRequestWorker}). */
    public static class Requests {
        /** Whether this instance runs reconciliation requests, with a reconciler per entity type that has a reconcilable sink. */
        private boolean enabled = true;
        /** Pause between polls for a request that found none. */
        private Duration interval = ReconcileRequestWorker.DEFAULT_INTERVAL;
        /** How long the instance that runs a request may go without recording progress before another instance takes it over. */
        private Duration lease = ReconcileRequestWorker.DEFAULT_LEASE;
        /** How many times a request is taken (by instances that stopped before its end) before it is failed. */
        private int maxAttempts = ReconcileRequestWorker.DEFAULT_MAX_ATTEMPTS;

        /** @return whether this instance runs reconciliation requests */
        public boolean isEnabled() {
            return enabled;
        }

        /** @param enabled whether this instance runs reconciliation requests; default true */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** @return the pause between polls that found no request */
        public Duration getInterval() {
            return interval;
        }

        /** @param interval the pause between polls that found no request; default 1s */
        public void setInterval(Duration interval) {
            this.interval = interval;
        }

        /** @return the lease of a running request */
        public Duration getLease() {
            return lease;
        }

        /** @param lease the lease of a running request; default 2m */
        public void setLease(Duration lease) {
            this.lease = lease;
        }

        /** @return how many times a request is taken before it is failed */
        public int getMaxAttempts() {
            return maxAttempts;
        }

        /** @param maxAttempts how many times a request is taken before it is failed; default 3 */
        public void setMaxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
        }
    }

    /** Settings of one entity type. */
    public static class Entity {
        /** How long a caller's request key is remembered: a second write with the same key within it returns the first result and writes nothing. */
        private Duration requestKeyWindow = DualWriterBuilder.DEFAULT_REQUEST_KEY_WINDOW;
        /** Recovery of deliveries the synchronous path could not finish. */
        private Recovery recovery = new Recovery();
        /** Delivery settings per sink, by the sink's name. */
        private Map<String, SinkProperties> sinks = new LinkedHashMap<>();

        /** @return the request-key window */
        public Duration getRequestKeyWindow() {
            return requestKeyWindow;
        }

        /** @param requestKeyWindow the request-key window, positive; default 24 h */
        public void setRequestKeyWindow(Duration requestKeyWindow) {
            this.requestKeyWindow = requestKeyWindow;
        }

        /** @return recovery settings */
        public Recovery getRecovery() {
            return recovery;
        }

        /** @param recovery recovery settings */
        public void setRecovery(Recovery recovery) {
            this.recovery = recovery;
        }

        /** @return settings per sink */
        public Map<String, SinkProperties> getSinks() {
            return sinks;
        }

        /** @param sinks settings per sink */
        public void setSinks(Map<String, SinkProperties> sinks) {
            this.sinks = sinks;
        }
    }

    /** Recovery settings of one entity type. */
    public static class Recovery {
        /** Whether a recovery worker runs for the entity type in this application. */
        private boolean enabled = true;
        /** Pause between recovery passes that found less than a full batch. */
        private Duration interval = RecoveryWorker.DEFAULT_INTERVAL;
        /** How old an undelivered intent must be before recovery takes it over from the write path. */
        private Duration gracePeriod = DualWriterBuilder.DEFAULT_GRACE_PERIOD;
        /** Entities claimed per recovery pass. */
        private int batchSize = DualWriterBuilder.DEFAULT_RECOVERY_BATCH_SIZE;
        /** How long a recovery claim holds, so that other instances leave the entity alone; longer than every sink's attempt timeout plus max-clock-skew. */
        private Duration lease = DualWriterBuilder.DEFAULT_LEASE;
        /** How far the clocks of the hosts that run recovery may disagree; each pass ends its calls that much before its lease ends. */
        private Duration maxClockSkew = DualWriterBuilder.DEFAULT_MAX_CLOCK_SKEW;
        /** Recovery attempts per intent before it is dead-lettered. */
        private int maxAttempts = DualWriterBuilder.DEFAULT_RECOVERY_MAX_ATTEMPTS;
        /** Wait after the first failed recovery attempt; it doubles, with jitter, up to max-backoff. */
        private Duration initialBackoff = DualWriterBuilder.DEFAULT_RECOVERY_INITIAL_BACKOFF;
        /** Longest wait between recovery attempts. */
        private Duration maxBackoff = DualWriterBuilder.DEFAULT_RECOVERY_MAX_BACKOFF;
        /** How long shutdown waits for a running recovery pass to finish. */
        private Duration shutdownTimeout = RecoveryWorker.DEFAULT_SHUTDOWN_TIMEOUT;

        /** @return whether a recovery worker runs */
        public boolean isEnabled() {
            return enabled;
        }

        /** @param enabled whether a recovery worker runs; default true */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** @return the pause between passes */
        public Duration getInterval() {
            return interval;
        }

        /** @param interval the pause between passes, positive; default 1 s */
        public void setInterval(Duration interval) {
            this.interval = interval;
        }

        /** @return the grace period */
        public Duration getGracePeriod() {
            return gracePeriod;
        }

        /** @param gracePeriod the grace period, not negative; default 30 s */
        public void setGracePeriod(Duration gracePeriod) {
            this.gracePeriod = gracePeriod;
        }

        /** @return the batch size */
        public int getBatchSize() {
            return batchSize;
        }

        /** @param batchSize the batch size, at least 1; default 100 */
        public void setBatchSize(int batchSize) {
            this.batchSize = batchSize;
        }

        /** @return the lease */
        public Duration getLease() {
            return lease;
        }

        /** @param lease the lease, positive; default 60 s */
        public void setLease(Duration lease) {
            this.lease = lease;
        }

        /** @return how far the recovery hosts' clocks may disagree */
        public Duration getMaxClockSkew() {
            return maxClockSkew;
        }

        /** @param maxClockSkew how far the recovery hosts' clocks may disagree, not negative; default 2 s */
        public void setMaxClockSkew(Duration maxClockSkew) {
            this.maxClockSkew = maxClockSkew;
        }

        /** @return the attempts */
        public int getMaxAttempts() {
            return maxAttempts;
        }

        /** @param maxAttempts the attempts, at least 1; default 10 */
        public void setMaxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
        }

        /** @return the first wait */
        public Duration getInitialBackoff() {
            return initialBackoff;
        }

        /** @param initialBackoff the first wait, positive; default 1 s */
        public void setInitialBackoff(Duration initialBackoff) {
            this.initialBackoff = initialBackoff;
        }

        /** @return the longest wait */
        public Duration getMaxBackoff() {
            return maxBackoff;
        }

        /** @param maxBackoff the longest wait, not below initial-backoff; default 10 min */
        public void setMaxBackoff(Duration maxBackoff) {
            this.maxBackoff = maxBackoff;
        }

        /** @return the shutdown timeout */
        public Duration getShutdownTimeout() {
            return shutdownTimeout;
        }

        /** @param shutdownTimeout the shutdown timeout, not negative; default the worker's */
        public void setShutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = shutdownTimeout;
        }
    }

    /** Delivery settings of one sink; unset values keep what the {@link DualWriteSinks} bean gave. */
    public static class SinkProperties {
        /** Delivery policy: SYNC, ASYNC or SHADOW (REQUIRED fails the start: a repository's save cannot be compensated). */
        private DeliveryPolicy policy;
        /** Share of the entities (by a stable hash of the id) that the sink receives, 0 to 100. */
        private Double rampPercent;
        /** The ramp the sink had before it was lowered: entities between the two are removed from the sink as they change. */
        private Double rampDownFrom;
        /** Time limit of one attempt to deliver a change. */
        private Duration attemptTimeout;
        /** Attempts on the write path before the change is left to recovery. */
        private Integer maxAttempts;
        /** Wait before the first retry on the write path; it grows by backoff-multiplier up to max-backoff. */
        private Duration initialBackoff;
        /** Growth of the wait per retry on the write path. */
        private Double backoffMultiplier;
        /** Longest wait between retries on the write path. */
        private Duration maxBackoff;
        /** Randomization of each wait, 0 (none) to 1. */
        private Double jitter;
        /** Calls to the sink in flight at once (bulkhead). */
        private Integer maxConcurrentCalls;
        /** The sink's circuit breaker. */
        private CircuitBreaker circuitBreaker = new CircuitBreaker();

        /** @return the delivery policy, or null to keep the bean's */
        public DeliveryPolicy getPolicy() {
            return policy;
        }

        /** @param policy the delivery policy; default the bean's (SYNC unless it says otherwise) */
        public void setPolicy(DeliveryPolicy policy) {
            this.policy = policy;
        }

        /** @return the ramp, or null to keep the bean's */
        public Double getRampPercent() {
            return rampPercent;
        }

        /** @param rampPercent the ramp, 0 to 100; default the bean's (100 unless it says otherwise) */
        public void setRampPercent(Double rampPercent) {
            this.rampPercent = rampPercent;
        }

        /** @return the previous ramp, or null to keep the bean's */
        public Double getRampDownFrom() {
            return rampDownFrom;
        }

        /** @param rampDownFrom the previous ramp, not below ramp-percent; default the bean's (the ramp itself) */
        public void setRampDownFrom(Double rampDownFrom) {
            this.rampDownFrom = rampDownFrom;
        }

        /** @return the attempt timeout, or null to keep the bean's */
        public Duration getAttemptTimeout() {
            return attemptTimeout;
        }

        /** @param attemptTimeout the attempt timeout, positive; default the bean's (5 s unless it says otherwise) */
        public void setAttemptTimeout(Duration attemptTimeout) {
            this.attemptTimeout = attemptTimeout;
        }

        /** @return the attempts, or null to keep the bean's */
        public Integer getMaxAttempts() {
            return maxAttempts;
        }

        /** @param maxAttempts the attempts on the write path, at least 1; default the bean's (3 unless it says otherwise) */
        public void setMaxAttempts(Integer maxAttempts) {
            this.maxAttempts = maxAttempts;
        }

        /** @return the first wait, or null to keep the bean's */
        public Duration getInitialBackoff() {
            return initialBackoff;
        }

        /** @param initialBackoff the first wait, positive; default the bean's (100 ms unless it says otherwise) */
        public void setInitialBackoff(Duration initialBackoff) {
            this.initialBackoff = initialBackoff;
        }

        /** @return the multiplier, or null to keep the bean's */
        public Double getBackoffMultiplier() {
            return backoffMultiplier;
        }

        /** @param backoffMultiplier the multiplier, at least 1; default the bean's (2 unless it says otherwise) */
        public void setBackoffMultiplier(Double backoffMultiplier) {
            this.backoffMultiplier = backoffMultiplier;
        }

        /** @return the longest wait, or null to keep the bean's */
        public Duration getMaxBackoff() {
            return maxBackoff;
        }

        /** @param maxBackoff the longest wait, not below initial-backoff; default the bean's (5 s unless it says otherwise) */
        public void setMaxBackoff(Duration maxBackoff) {
            this.maxBackoff = maxBackoff;
        }

        /** @return the jitter, or null to keep the bean's */
        public Double getJitter() {
            return jitter;
        }

        /** @param jitter the jitter, 0 to 1; default the bean's (0.5 unless it says otherwise) */
        public void setJitter(Double jitter) {
            this.jitter = jitter;
        }

        /** @return the most concurrent calls, or null to keep the bean's */
        public Integer getMaxConcurrentCalls() {
            return maxConcurrentCalls;
        }

        /** @param maxConcurrentCalls the most concurrent calls, at least 1; default the bean's (64 unless it says otherwise) */
        public void setMaxConcurrentCalls(Integer maxConcurrentCalls) {
            this.maxConcurrentCalls = maxConcurrentCalls;
        }

        /** @return the circuit breaker settings */
        public CircuitBreaker getCircuitBreaker() {
            return circuitBreaker;
        }

        /** @param circuitBreaker the circuit breaker settings */
        public void setCircuitBreaker(CircuitBreaker circuitBreaker) {
            this.circuitBreaker = circuitBreaker;
        }
    }

    /** Circuit breaker settings of one sink; unset values keep what the {@link DualWriteSinks} bean gave. */
    public static class CircuitBreaker {
        /** Percentage of failed calls in the sliding window at which the circuit opens. */
        private Float failureRateThreshold;
        /** Calls the failure rate is computed over. */
        private Integer slidingWindowSize;
        /** Calls in the window before the failure rate counts. */
        private Integer minimumNumberOfCalls;
        /** How long the circuit stays open before it lets probing calls through. */
        private Duration waitDurationInOpenState;
        /** Probing calls let through while half-open. */
        private Integer permittedCallsInHalfOpenState;

        /** @return the threshold, or null to keep the bean's */
        public Float getFailureRateThreshold() {
            return failureRateThreshold;
        }

        /** @param failureRateThreshold the threshold, above 0 and at most 100; default the bean's (50 unless it says otherwise) */
        public void setFailureRateThreshold(Float failureRateThreshold) {
            this.failureRateThreshold = failureRateThreshold;
        }

        /** @return the window, or null to keep the bean's */
        public Integer getSlidingWindowSize() {
            return slidingWindowSize;
        }

        /** @param slidingWindowSize the window, at least 1; default the bean's (20 unless it says otherwise) */
        public void setSlidingWindowSize(Integer slidingWindowSize) {
            this.slidingWindowSize = slidingWindowSize;
        }

        /** @return the minimum, or null to keep the bean's */
        public Integer getMinimumNumberOfCalls() {
            return minimumNumberOfCalls;
        }

        /** @param minimumNumberOfCalls the minimum, at least 1; default the bean's (10 unless it says otherwise) */
        public void setMinimumNumberOfCalls(Integer minimumNumberOfCalls) {
            this.minimumNumberOfCalls = minimumNumberOfCalls;
        }

        /** @return the wait, or null to keep the bean's */
        public Duration getWaitDurationInOpenState() {
            return waitDurationInOpenState;
        }

        /** @param waitDurationInOpenState the wait, at least 1 ms; default the bean's (30 s unless it says otherwise) */
        public void setWaitDurationInOpenState(Duration waitDurationInOpenState) {
            this.waitDurationInOpenState = waitDurationInOpenState;
        }

        /** @return the probes, or null to keep the bean's */
        public Integer getPermittedCallsInHalfOpenState() {
            return permittedCallsInHalfOpenState;
        }

        /** @param permittedCallsInHalfOpenState the probes, at least 1; default the bean's (3 unless it says otherwise) */
        public void setPermittedCallsInHalfOpenState(Integer permittedCallsInHalfOpenState) {
            this.permittedCallsInHalfOpenState = permittedCallsInHalfOpenState;
        }
    }
}
