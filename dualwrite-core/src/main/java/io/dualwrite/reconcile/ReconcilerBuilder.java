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
package io.dualwrite.reconcile;

import io.dualwrite.DualWriter;
import io.dualwrite.WriterOperations;
import io.dualwrite.internal.Args;
import io.dualwrite.memory.InMemoryReconcileStore;
import io.dualwrite.reconcile.internal.DefaultReconciler;
import io.dualwrite.spi.ContentDigestingSink;
import io.dualwrite.spi.DigestingSink;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.spi.ReconcileStore;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Builds a {@link Reconciler}. Not thread-safe; the reconciler it builds is.
 *
 * @param <T> the entity type
 */
public final class ReconcilerBuilder<T> {
    /** Default ids per chunk (per primary page, per checkpoint). */
    public static final int DEFAULT_CHUNK_SIZE = 500;
    /** Default: ranges of at most this many primary ids are compared id by id rather than split further. */
    public static final int DEFAULT_DIGEST_LEAF_SIZE = 32;
    /** Default repairs per second, all sinks together. */
    public static final int DEFAULT_REPAIRS_PER_SECOND = 200;
    /** Default plan entries kept per sink in a report's samples. */
    public static final int DEFAULT_SAMPLE_SIZE = 20;
    /** By default only versions are compared, not content. */
    public static final boolean DEFAULT_COMPARE_CONTENT = false;

    private DualWriter<T> writer;
    private PrimaryStore<T> primary;
    private final Map<String, ReconcilableSink<T>> sinks = new LinkedHashMap<>();
    private ReconcileStore store;
    private int chunkSize = DEFAULT_CHUNK_SIZE;
    private int digestLeafSize = DEFAULT_DIGEST_LEAF_SIZE;
    private boolean useDigests = true;
    private boolean compareContent = DEFAULT_COMPARE_CONTENT;
    private RateLimiter rateLimiter;
    private int repairsPerSecond = DEFAULT_REPAIRS_PER_SECOND;
    private int sampleSize = DEFAULT_SAMPLE_SIZE;
    private ReconcileListener listener = ReconcileListener.NONE;
    private MeterRegistry meters = Metrics.globalRegistry;
    private Clock clock = Clock.systemUTC();

    ReconcilerBuilder() {
    }

    /**
     * @param writer the coordinator of the collection, through which every repair is delivered; required
     * @return this
     */
    public ReconcilerBuilder<T> writer(DualWriter<T> writer) {
        this.writer = Objects.requireNonNull(writer, "writer");
        return this;
    }

    /**
     * @param primary the primary store the writer uses, read in id order; required
     * @return this
     */
    public ReconcilerBuilder<T> primary(PrimaryStore<T> primary) {
        this.primary = Objects.requireNonNull(primary, "primary");
        return this;
    }

    /**
     * Adds a sink to reconcile. A sink that also implements {@link DigestingSink} is compared
     * through range digests first (see {@link #useDigests(boolean)}); one that implements
     * {@link ContentDigestingSink} can be compared by content too (see {@link #compareContent(boolean)}).
     *
     * @param name the name it is registered under with the writer, not null
     * @param sink the sink, not null
     * @return this
     * @throws IllegalArgumentException if the name was already added
     */
    public ReconcilerBuilder<T> sink(String name, ReconcilableSink<T> sink) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(sink, "sink");
        if (sinks.containsKey(name)) {
            throw new IllegalArgumentException("sink '" + name + "' was already added");
        }
        sinks.put(name, sink);
        return this;
    }

    /**
     * @param store where checkpoints and reports go; default a new
     *              {@link InMemoryReconcileStore} (nothing survives a restart: use a durable one in production)
     * @return this
     */
    public ReconcilerBuilder<T> store(ReconcileStore store) {
        this.store = Objects.requireNonNull(store, "store");
        return this;
    }

    /**
     * @param chunkSize primary ids per chunk; a checkpoint follows each chunk; default {@value #DEFAULT_CHUNK_SIZE}
     * @return this
     * @throws IllegalArgumentException if below 1
     */
    public ReconcilerBuilder<T> chunkSize(int chunkSize) {
        Args.atLeast(chunkSize, 1, "chunkSize");
        this.chunkSize = chunkSize;
        return this;
    }

    /**
     * @param leafSize ranges holding at most this many primary ids are compared id by id instead of
     *                 being split further; default {@value #DEFAULT_DIGEST_LEAF_SIZE}
     * @return this
     * @throws IllegalArgumentException if below 1
     */
    public ReconcilerBuilder<T> digestLeafSize(int leafSize) {
        Args.atLeast(leafSize, 1, "digestLeafSize");
        this.digestLeafSize = leafSize;
        return this;
    }

    /**
     * @param useDigests whether sinks implementing {@link DigestingSink} are compared range digest
     *                   first; default true. False compares every id (the baseline).
     * @return this
     */
    public ReconcilerBuilder<T> useDigests(boolean useDigests) {
        this.useDigests = useDigests;
        return this;
    }

    /**
     * Whether to compare content as well as versions. For every id whose versions are equal in the
     * primary and in a sink that implements {@link ContentDigestingSink}, the digest of what the sink
     * holds is compared with the digest of the primary's current state mapped through the sink; a
     * difference is a {@link DriftClass#CONTENT_MISMATCH}, repaired ({@link RepairAction#REWRITE}) by
     * committing the primary's state again as a new version through the writer
     * ({@link WriterOperations#rewrite}), which every sink then receives. Where the primary store cannot
     * commit writes of its own ({@link PrimaryStore#supportsCompensation()} false: write-ahead mode)
     * the mismatch is only reported. Sinks that do not implement {@link ContentDigestingSink} are
     * compared by version as before.
     *
     * <p>The cost: every id in sync by version is read again, its content this time (one
     * {@link ContentDigestingSink#contentDigestsOf} call per chunk, which transfers or hashes every
     * entity's content in the destination), and mapped and hashed locally from the primary's
     * state; a range found equal through {@linkplain #useDigests(boolean) range digests} is no longer
     * free, since those summarise versions only. Expect a run to take about as long as reading the
     * whole sink; schedule it less often than a comparison of versions.
     *
     * @param compareContent whether to compare content; default {@value #DEFAULT_COMPARE_CONTENT}
     * @return this
     */
    public ReconcilerBuilder<T> compareContent(boolean compareContent) {
        this.compareContent = compareContent;
        return this;
    }

    /**
     * @param perSecond repairs per second, all sinks together (one permit per repaired id); default
     *                  {@value #DEFAULT_REPAIRS_PER_SECOND}. Ignored when {@link #rateLimiter} is set.
     * @return this
     * @throws IllegalArgumentException if below 1
     */
    public ReconcilerBuilder<T> repairsPerSecond(int perSecond) {
        Args.atLeast(perSecond, 1, "repairsPerSecond");
        this.repairsPerSecond = perSecond;
        return this;
    }

    /**
     * @param rateLimiter a Resilience4j rate limiter to take one permit per repaired id from (shared
     *                    with other work, or observed in tests); default one made from
     *                    {@link #repairsPerSecond(int)}. The run waits for permits as long as it takes.
     * @return this
     */
    public ReconcilerBuilder<T> rateLimiter(RateLimiter rateLimiter) {
        this.rateLimiter = Objects.requireNonNull(rateLimiter, "rateLimiter");
        return this;
    }

    /**
     * @param sampleSize plan entries per sink kept in a report and logged by a dry run; default
     *                   {@value #DEFAULT_SAMPLE_SIZE}
     * @return this
     * @throws IllegalArgumentException if negative
     */
    public ReconcilerBuilder<T> sampleSize(int sampleSize) {
        Args.atLeast(sampleSize, 0, "sampleSize");
        this.sampleSize = sampleSize;
        return this;
    }

    /**
     * @param listener observes progress and finished runs; default {@link ReconcileListener#NONE}
     * @return this
     */
    public ReconcilerBuilder<T> listener(ReconcileListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /**
     * @param registry where meters go; default {@link Metrics#globalRegistry}
     * @return this
     */
    public ReconcilerBuilder<T> meterRegistry(MeterRegistry registry) {
        this.meters = Objects.requireNonNull(registry, "registry");
        return this;
    }

    /**
     * @param clock the clock of reports and checkpoints; default {@link Clock#systemUTC()}
     * @return this
     */
    public ReconcilerBuilder<T> clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
    }

    /**
     * @return the reconciler
     * @throws IllegalStateException if the writer, the primary or every sink is missing, a sink is
     *                               not registered with the writer, or content comparison is on and no
     *                               sink implements {@link ContentDigestingSink}
     */
    public Reconciler build() {
        if (writer == null) {
            throw new IllegalStateException("set writer(...): repairs are delivered through the coordinator");
        }
        if (primary == null) {
            throw new IllegalStateException("set primary(...): the primary store the writer uses");
        }
        if (sinks.isEmpty()) {
            throw new IllegalStateException("add at least one sink(name, reconcilableSink)");
        }
        for (String name : sinks.keySet()) {
            if (!writer.sinkNames().contains(name)) {
                throw new IllegalStateException("sink '" + name + "' is not registered with the " + writer.entityType()
                        + " writer (it has " + writer.sinkNames() + ")");
            }
            sinks.get(name).boundEntityType().filter(t -> !t.equals(writer.entityType())).ifPresent(t -> {
                throw new IllegalStateException("sink '" + name + "' was built for entity type '" + t + "', the writer"
                        + " writes '" + writer.entityType() + "': the reconciler would read another type's entries;"
                        + " give it the sink built for '" + writer.entityType() + "'");
            });
        }
        if (compareContent && sinks.values().stream().noneMatch(x -> x instanceof ContentDigestingSink)) {
            throw new IllegalStateException("compareContent(true), but none of the sinks " + sinks.keySet()
                    + " implements ContentDigestingSink: there is no content to compare");
        }
        RateLimiter limiter = rateLimiter != null ? rateLimiter : RateLimiter.of("dualwrite.reconcile." + writer.entityType(),
                RateLimiterConfig.custom()
                        .limitForPeriod(repairsPerSecond)
                        .limitRefreshPeriod(Duration.ofSeconds(1))
                        .timeoutDuration(Duration.ofSeconds(5))
                        .build());
        return new DefaultReconciler<>(new DefaultReconciler.Settings<>(writer, primary, sinks,
                store != null ? store : new InMemoryReconcileStore(), chunkSize, digestLeafSize, useDigests,
                compareContent, limiter, sampleSize, listener, meters, clock));
    }
}
