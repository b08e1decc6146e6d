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
package io.dualwrite;

import io.dualwrite.internal.Args;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How the coordinator delivers to one sink: its policy, ramp, and the Resilience4j policies
 * around each call. Immutable and thread-safe; {@link #DEFAULT} is a SYNC sink with every default.
 */
public final class SinkSettings {
    /** Default policy. */
    public static final DeliveryPolicy DEFAULT_POLICY = DeliveryPolicy.SYNC;
    /** Default share of entities sent to the sink, in percent. */
    public static final double DEFAULT_RAMP_PERCENT = 100.0;
    /** Default time limit of one call. */
    public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(5);
    /** Default number of calls per delivery on the caller's path (the first plus retries). */
    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    /** Default wait before the first retry. */
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(100);
    /** Default growth of the wait between retries. */
    public static final double DEFAULT_BACKOFF_MULTIPLIER = 2.0;
    /** Default longest wait between retries. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(5);
    /** Default jitter: each wait is drawn from [wait × (1 − j), wait × (1 + j)]. */
    public static final double DEFAULT_JITTER = 0.5;
    /** Default most concurrent calls to the sink (bulkhead); a call beyond it is DEFERRED at once. */
    public static final int DEFAULT_MAX_CONCURRENT_CALLS = 64;
    /** Default schema version of the sink's mapping. */
    public static final int DEFAULT_SCHEMA_VERSION = Change.DEFAULT_SCHEMA_VERSION;

    /** A SYNC sink with every default. */
    public static final SinkSettings DEFAULT = builder().build();

    private final DeliveryPolicy policy;
    private final double rampPercent;
    private final double rampDownFrom;
    private final Duration attemptTimeout;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final double backoffMultiplier;
    private final Duration maxBackoff;
    private final double jitter;
    private final int maxConcurrentCalls;
    private final CircuitBreakerConfig circuitBreaker;
    private final int schemaVersion;
    private final ErrorClassifier classifier;
    private final Boolean clientEnforcesTimeout;

    private SinkSettings(Builder b) {
        this.policy = b.policy;
        this.rampPercent = b.rampPercent;
        this.rampDownFrom = Double.isNaN(b.rampDownFrom) ? b.rampPercent : b.rampDownFrom;
        this.attemptTimeout = b.attemptTimeout;
        this.maxAttempts = b.maxAttempts;
        this.initialBackoff = b.initialBackoff;
        this.backoffMultiplier = b.backoffMultiplier;
        this.maxBackoff = b.maxBackoff;
        this.jitter = b.jitter;
        this.maxConcurrentCalls = b.maxConcurrentCalls;
        this.circuitBreaker = b.circuitBreaker;
        this.schemaVersion = b.schemaVersion;
        this.classifier = b.classifier;
        this.clientEnforcesTimeout = b.clientEnforcesTimeout;
    }

    /** @return a new builder with every default */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder that starts from these settings, to derive settings that differ in a few:
     * {@code SinkSettings.DEFAULT.toBuilder().policy(DeliveryPolicy.ASYNC).build()}.
     *
     * @return a new builder holding every one of these settings
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.policy = policy;
        b.rampPercent = rampPercent;
        b.rampDownFrom = rampDownFrom == rampPercent ? Double.NaN : rampDownFrom;
        b.attemptTimeout = attemptTimeout;
        b.maxAttempts = maxAttempts;
        b.initialBackoff = initialBackoff;
        b.backoffMultiplier = backoffMultiplier;
        b.maxBackoff = maxBackoff;
        b.jitter = jitter;
        b.maxConcurrentCalls = maxConcurrentCalls;
        b.circuitBreaker = circuitBreaker;
        b.schemaVersion = schemaVersion;
        b.classifier = classifier;
        b.clientEnforcesTimeout = clientEnforcesTimeout;
        return b;
    }

    /**
     * @param policy the policy
     * @return default settings with that policy
     */
    public static SinkSettings of(DeliveryPolicy policy) {
        return builder().policy(policy).build();
    }

    /**
     * The circuit breaker used when none is set: opens when half of at least 10 of the last 20
     * calls failed transiently (permanent failures of single entities never count), stays open
     * 30 s, then lets 3 calls probe.
     *
     * @return the default circuit breaker settings
     */
    public static CircuitBreakerConfig defaultCircuitBreaker() {
        return CircuitBreakerConfig.custom()
                .slidingWindowSize(20)
                .minimumNumberOfCalls(10)
                .failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofSeconds(30))
                .permittedNumberOfCallsInHalfOpenState(3)
                .build();
    }

    /** @return the policy */
    public DeliveryPolicy policy() {
        return policy;
    }

    /** @return the share of entities (by a stable hash of the id) sent to the sink, 0 to 100 */
    public double rampPercent() {
        return rampPercent;
    }

    /**
     * @return the ramp this sink was lowered from ({@link #rampPercent()} when it was not): entities
     *         between the two are removed from the sink on their next write, and their deletes still
     *         reach it
     */
    public double rampDownFrom() {
        return rampDownFrom;
    }

    /** @return the time limit of one call */
    public Duration attemptTimeout() {
        return attemptTimeout;
    }

    /** @return calls per delivery on the caller's path */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** @return wait before the first retry */
    public Duration initialBackoff() {
        return initialBackoff;
    }

    /** @return growth of the wait */
    public double backoffMultiplier() {
        return backoffMultiplier;
    }

    /** @return longest wait */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /** @return jitter factor, 0 to 1 */
    public double jitter() {
        return jitter;
    }

    /** @return most concurrent calls */
    public int maxConcurrentCalls() {
        return maxConcurrentCalls;
    }

    /** @return the circuit breaker settings (their exception predicates are replaced by the classifier) */
    public CircuitBreakerConfig circuitBreaker() {
        return circuitBreaker;
    }

    /** @return the schema version of the sink's mapping, carried by every change sent to it */
    public int schemaVersion() {
        return schemaVersion;
    }

    /** @return the classifier overriding the sink's own, or null to use the sink's */
    public ErrorClassifier classifier() {
        return classifier;
    }

    /**
     * @return true when the sink's own client is said to bound each call, so the coordinator calls
     *         it on the delivering thread and does not enforce {@link #attemptTimeout()} itself; false
     *         when the coordinator must enforce it; empty (the default) to follow the sink's own
     *         {@link io.dualwrite.spi.Sink#callTimeout()}
     */
    public Optional<Boolean> clientEnforcesTimeout() {
        return Optional.ofNullable(clientEnforcesTimeout);
    }

    @Override
    public String toString() {
        return "SinkSettings{" + policy + ", ramp=" + rampPercent + "%"
                + (rampDownFrom > rampPercent ? " (down from " + rampDownFrom + "%)" : "") + ", timeout=" + attemptTimeout + ", maxAttempts="
                + maxAttempts + ", backoff=" + initialBackoff + "×" + backoffMultiplier + "≤" + maxBackoff
                + ", jitter=" + jitter + ", maxConcurrentCalls=" + maxConcurrentCalls + ", schemaVersion="
                + schemaVersion + (clientEnforcesTimeout != null ? ", clientEnforcesTimeout=" + clientEnforcesTimeout : "") + "}";
    }

    /** Builds {@link SinkSettings}. Not thread-safe. */
    public static final class Builder {
        private DeliveryPolicy policy = DEFAULT_POLICY;
        private double rampPercent = DEFAULT_RAMP_PERCENT;
        private double rampDownFrom = Double.NaN;
        private Duration attemptTimeout = DEFAULT_ATTEMPT_TIMEOUT;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private double backoffMultiplier = DEFAULT_BACKOFF_MULTIPLIER;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private double jitter = DEFAULT_JITTER;
        private int maxConcurrentCalls = DEFAULT_MAX_CONCURRENT_CALLS;
        private CircuitBreakerConfig circuitBreaker = defaultCircuitBreaker();
        private int schemaVersion = DEFAULT_SCHEMA_VERSION;
        private ErrorClassifier classifier;
        private Boolean clientEnforcesTimeout;

        private Builder() {
        }

        /**
         * @param policy the policy; default SYNC
         * @return this
         */
        public Builder policy(DeliveryPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * @param percent share of entities sent to the sink, 0 to 100, decided by a stable hash of
         *                the id; default 100. Entities outside the ramp get SKIPPED and no intent. A ramp
         *                only grows: to lower it, also say where it was with {@link #rampDownFrom}.
         * @return this
         */
        public Builder rampPercent(double percent) {
            if (!(percent >= 0 && percent <= 100)) {
                throw new IllegalArgumentException("rampPercent must be within 0..100, was " + percent);
            }
            this.rampPercent = percent;
            return this;
        }

        /**
         * Lowers a ramp: entities that were within {@code previousPercent} but are outside
         * {@link #rampPercent} now are removed from the sink on their next write (it receives a
         * DELETE at the new version, so it holds nothing stale), their deletes still reach it, and
         * {@link WriterOperations#redeliver} removes those a reconciliation finds. Entities outside both get
         * nothing, as before. Default: the ramp was never higher.
         *
         * @param previousPercent the ramp before it was lowered, from {@link #rampPercent} to 100
         * @return this
         * @throws IllegalArgumentException if outside 0..100; {@link #build()} throws if below the ramp
         */
        public Builder rampDownFrom(double previousPercent) {
            if (!(previousPercent >= 0 && previousPercent <= 100)) {
                throw new IllegalArgumentException("rampDownFrom must be within 0..100, was " + previousPercent);
            }
            this.rampDownFrom = previousPercent;
            return this;
        }

        /**
         * @param timeout time limit of one call, positive; default 5 s
         * @return this
         */
        public Builder attemptTimeout(Duration timeout) {
            this.attemptTimeout = positive(timeout, "attemptTimeout");
            return this;
        }

        /**
         * @param maxAttempts calls per delivery on the caller's path, at least 1; default 3
         * @return this
         */
        public Builder maxAttempts(int maxAttempts) {
            Args.atLeast(maxAttempts, 1, "maxAttempts");
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * Exponential backoff with jitter between retries.
         *
         * @param initial    wait before the first retry, positive; default 100 ms
         * @param multiplier growth per retry, at least 1; default 2
         * @param max        longest wait, not below initial; default 5 s
         * @return this
         */
        public Builder backoff(Duration initial, double multiplier, Duration max) {
            positive(initial, "initial");
            positive(max, "max");
            if (!(multiplier >= 1)) {
                throw new IllegalArgumentException("multiplier must be at least 1, was " + multiplier);
            }
            if (max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("max backoff " + max + " is below the initial " + initial);
            }
            this.initialBackoff = initial;
            this.backoffMultiplier = multiplier;
            this.maxBackoff = max;
            return this;
        }

        /**
         * @param jitter randomization factor, 0 (none) to 1; default 0.5
         * @return this
         */
        public Builder jitter(double jitter) {
            if (!(jitter >= 0 && jitter <= 1)) {
                throw new IllegalArgumentException("jitter must be within 0..1, was " + jitter);
            }
            this.jitter = jitter;
            return this;
        }

        /**
         * @param max most concurrent calls, at least 1; default 64
         * @return this
         */
        public Builder maxConcurrentCalls(int max) {
            Args.atLeast(max, 1, "maxConcurrentCalls");
            this.maxConcurrentCalls = max;
            return this;
        }

        /**
         * @param config circuit breaker settings; default {@link SinkSettings#defaultCircuitBreaker()}.
         *               Its exception predicates are replaced: transient and unknown outcomes count as
         *               failures, permanent ones (a poison entity) do not.
         * @return this
         */
        public Builder circuitBreaker(CircuitBreakerConfig config) {
            this.circuitBreaker = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * @param schemaVersion the mapping's schema version, at least 1; default 1
         * @return this
         */
        public Builder schemaVersion(int schemaVersion) {
            Args.atLeast(schemaVersion, 1, "schemaVersion");
            this.schemaVersion = schemaVersion;
            return this;
        }

        /**
         * @param classifier overrides the sink's own classifier; default the sink's
         * @return this
         */
        public Builder classifier(ErrorClassifier classifier) {
            this.classifier = Objects.requireNonNull(classifier, "classifier");
            return this;
        }

        /**
         * Says whether the sink's own client bounds every call (a request or socket timeout), so the
         * coordinator need not: when it does, the coordinator calls the sink directly on the
         * delivering thread, which saves a thread hand-off per call (the caller's thread for the last
         * SYNC sink of a write), and {@link #attemptTimeout(Duration)} is not enforced. A client
         * without its own timeout could then hold the caller for ever. By default the sink says so
         * itself ({@link io.dualwrite.spi.Sink#callTimeout()}): the built-in in-memory sink, an
         * {@code HttpSink} whose request timeout and a {@code RedisSink} whose command timeout fit in
         * the attempt timeout are called directly; anything else is bounded by the coordinator.
         *
         * @param enforces true when the sink's client enforces a timeout, false to have the coordinator
         *                 enforce the attempt timeout whatever the sink declares
         * @return this
         */
        public Builder clientEnforcesTimeout(boolean enforces) {
            this.clientEnforcesTimeout = enforces;
            return this;
        }

        /**
         * @return the settings
         * @throws IllegalArgumentException if {@link #rampDownFrom} was set below {@link #rampPercent}
         */
        public SinkSettings build() {
            if (!Double.isNaN(rampDownFrom) && rampDownFrom < rampPercent) {
                throw new IllegalArgumentException("a ramp lowered to " + rampPercent + "% cannot come down from "
                        + rampDownFrom + "%");
            }
            return new SinkSettings(this);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, was " + d);
            }
            return d;
        }
    }
}
