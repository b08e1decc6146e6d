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
package io.dualwrite.testkit.contract;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dualwrite.Change;
import io.dualwrite.DeadLetter;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriter;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.dualwrite.ErrorKind;
import io.dualwrite.Operation;
import io.dualwrite.RecoveryReport;
import io.dualwrite.SinkOutcome;
import io.dualwrite.SinkSettings;
import io.dualwrite.Versions;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.reconcile.DriftClass;
import io.dualwrite.reconcile.PlanEntry;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.reconcile.RepairAction;
import io.dualwrite.reconcile.RepairOutcome;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.ContentDigest;
import io.dualwrite.spi.ContentDigestingSink;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.ForwardingSink;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The contract of the {@link Sink} SPI, as {@code @Test final} methods. Every sink's test is a
 * small subclass that supplies a fresh, empty sink on its real server, test entities, and a way
 * to read back what the destination holds:
 *
 * <pre>{@code
 * class SearchSinkContractTest extends AbstractSinkContractTest<TestItem> {
 *     protected Sink<TestItem> createSink() { return new SearchSink(client, "items-" + UUID.randomUUID()); }
 *     protected TestItem entity(String id, int variant) { return TestItem.variant(id, variant); }
 *     protected Optional<Stored<TestItem>> readBack(Sink<TestItem> sink, String id) { ... read the index directly ... }
 * }
 * }</pre>
 *
 * <p>What it proves: a change is applied and can be read back; the same change twice is
 * {@link ApplyResult#ALREADY_CURRENT} the second time and changes nothing; an older version after
 * a newer one changes nothing; a delete removes the entity and an older upsert after it (even a
 * delete of an entity the sink never saw) does not bring it back; a re-create with a higher
 * version works; {@link Sink#applyAll} returns one result per item in order; concurrent
 * deliveries of many versions of one entity end at the highest; a {@link ReconcilableSink}
 * lists what it holds correctly; where the subclass supplies a change the destination
 * rejects, the sink's classifier calls that failure {@link ErrorKind#PERMANENT}; and, where it
 * supplies a sink whose mapping code throws for one entity
 * ({@link #sinkWithMappingFailingFor(String)}), that entity is dead-lettered as PERMANENT through a
 * real {@link DualWriter} without anything of it reaching the destination, the sink's circuit
 * stays closed however often it fails, and a recovery batch sends every other change in one call.
 * A sink built for one entity type ({@link Sink#boundEntityType()}) is built for the test's, refuses
 * a change of another type as PERMANENT, and a writer of another type refuses it at build.
 *
 * <p>For a {@link ContentDigestingSink} it also proves the content digest's promises: what the
 * sink holds after a change digests to what it expects for that change, absent and deleted ids are
 * omitted, and, where the subclass can write to the destination directly, that other content at
 * the same version ({@link #overwriteKeepingVersion}) has another digest while the same content in
 * another form ({@link #rewriteInAnotherForm}) has the same, and that a reconciliation comparing
 * content finds the former, a dry run changes nothing and applying repairs it at a new version
 * ({@code reconciliationFindsContentDriftAtEqualVersionsAndRepairsIt}).
 *
 * <p>Each test gets its own sink from {@link #createSink()} and disposes of it with
 * {@link #dispose(Sink)}. Not thread-safe (JUnit creates one instance per test method).
 *
 * @param <T> the entity type of the sink
 */
public abstract class AbstractSinkContractTest<T> {
    /** The circuit breakers of the writers the tests build, to read their state. */
    private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
    /** The entity type the changes of this test carry, unless {@link #entityType()} says otherwise. */
    public static final String DEFAULT_ENTITY_TYPE = "item";
    /** The id of the entity whose mapping fails in the sink of {@link #sinkWithMappingFailingFor(String)}. */
    public static final String UNMAPPABLE_ID = "unmappable";
    private static final String WRITER_SINK = "sink";
    private static final ObjectMapper OTHER_FORM = new ObjectMapper();

    private Sink<T> sink;
    private long base;
    private final Map<T, String> idsOfEntities = Collections.synchronizedMap(new IdentityHashMap<>());

    /**
     * Creates a new sink on its real server, holding nothing (a fresh index, table, key prefix…).
     *
     * @return the sink under test
     * @throws Exception if the server cannot be reached; the test fails
     */
    protected abstract Sink<T> createSink() throws Exception;

    /**
     * @param id      the entity id
     * @param variant a number; different variants must give entities with different content
     * @return a test entity of the sink's type with that id
     */
    protected abstract T entity(String id, int variant);

    /**
     * Reads what the destination holds for an id, ideally straight from the destination (its own
     * client, not the sink's code path), so a sink that reports success without writing is caught.
     * The default asks {@link ReconcilableSink#versionsOf} and can therefore only see live
     * entities; a sink that is not reconcilable must override it.
     *
     * @param sink the sink under test
     * @param id   the entity id
     * @return what the destination holds: a live entity (with its state when it can be turned back
     *         into the entity type), a tombstone, or empty when it holds nothing for the id (a
     *         destination that keeps its delete guard elsewhere may return empty after a delete)
     * @throws Exception if the destination cannot be read; the test fails
     */
    protected Optional<Stored<T>> readBack(Sink<T> sink, String id) throws Exception {
        if (!(sink instanceof ReconcilableSink)) {
            throw new UnsupportedOperationException(getClass().getName()
                    + " must override readBack(sink, id): the sink is not a ReconcilableSink");
        }
        Long v = ((ReconcilableSink<T>) sink).versionsOf(List.of(id)).get(id);
        return v == null ? Optional.empty() : Optional.of(Stored.live(v));
    }

    /**
     * A change the destination rejects every time (a document its mapping refuses, a value over a
     * column's limit…). Override to prove the classifier calls that failure PERMANENT; the default
     * has none and the test is skipped.
     *
     * @param id      the id to use (a sink whose rejection depends on the id may use another one,
     *                but not an id the other tests use)
     * @param version the version to use
     * @return the change, or empty when the destination rejects nothing a test can construct
     */
    protected Optional<Change<T>> permanentlyRejectedChange(String id, long version) {
        return Optional.empty();
    }

    /**
     * A second sink on the destination of {@link #createSink()}'s (the same index, table, key
     * prefix, topic or API, so {@link #readBack} sees what it writes), built the same way except
     * that its mapping code — the application's document mapper, serializer, column mapping or
     * body mapper, as the sink lets the application supply one — throws for the entity
     * {@code unmappableId} (a {@link NullPointerException}, say, as a mapper meeting a null it did
     * not expect would) and maps every other entity as usual. Override to prove that a mapping failure is the entity's own permanent failure and
     * never counts against the sink's health; the default has none and those tests are skipped.
     * The test closes the sink when it is {@link AutoCloseable}.
     *
     * @param unmappableId the id whose mapping must throw
     * @return the sink, or empty when the application supplies no mapping code to this sink
     * @throws Exception if the sink cannot be made; the test fails
     */
    protected Optional<Sink<T>> sinkWithMappingFailingFor(String unmappableId) throws Exception {
        return Optional.empty();
    }

    /**
     * Writes another state for an entity straight into the destination, with its own client,
     * keeping the version the destination holds: what a hand edit, another writer or a codec that
     * changed the state leaves behind, and what the sink's version guard would refuse. Override to
     * prove that content digests find drift at equal versions; the default writes nothing and
     * returns false, and those tests are skipped.
     *
     * @param sink    the sink under test
     * @param id      an entity the destination holds live at {@code version}
     * @param version the version it holds, which must stay
     * @param state   the other state to write, mapped as the sink would map it
     * @return true when the destination now holds {@code state} at {@code version}
     * @throws Exception if the destination cannot be written; the test fails
     */
    protected boolean overwriteKeepingVersion(Sink<T> sink, String id, long version, T state) throws Exception {
        return false;
    }

    /**
     * Writes what the destination holds for an entity again, the same content in another form the
     * destination keeps as written (its fields in another order, other whitespace, {@code 101.0}
     * for {@code 101}), straight into the destination and keeping the version. Override to prove
     * such a difference is not taken for drift; the default writes nothing and returns false, and the
     * test is skipped.
     *
     * @param sink the sink under test
     * @param id   an entity the destination holds live
     * @return true when the destination now holds the same content in another form
     * @throws Exception if the destination cannot be written; the test fails
     */
    protected boolean rewriteInAnotherForm(Sink<T> sink, String id) throws Exception {
        return false;
    }

    /**
     * For {@link #rewriteInAnotherForm} on a destination that keeps JSON as it was written: the same
     * content in another form.
     *
     * @param object a JSON object, not null
     * @return its members in reverse order, integral numbers written as decimals ({@code 101.0}),
     *         indented
     * @throws JsonProcessingException if it cannot be written
     */
    protected static String inAnotherForm(JsonNode object) throws JsonProcessingException {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        Collections.reverse(names);
        ObjectNode reordered = OTHER_FORM.createObjectNode();
        for (String name : names) {
            JsonNode value = object.get(name);
            reordered.set(name, value.isIntegralNumber() ? DoubleNode.valueOf(value.asDouble()) : value);
        }
        return OTHER_FORM.writerWithDefaultPrettyPrinter().writeValueAsString(reordered);
    }

    /** @return the entity type the changes carry; default {@value #DEFAULT_ENTITY_TYPE} */
    protected String entityType() {
        return DEFAULT_ENTITY_TYPE;
    }

    /** @return threads of the concurrent-delivery test; default 4 */
    protected int concurrentThreads() {
        return 4;
    }

    /** @return versions of one entity delivered by the concurrent-delivery test; default 60 */
    protected int concurrentVersions() {
        return 60;
    }

    /** @return the seed of the concurrent-delivery test's shuffle; default fixed, override to explore */
    protected long seed() {
        return 20261126L;
    }

    /**
     * Releases a sink after its test. The default closes it when it is {@link AutoCloseable}.
     *
     * @param sink the sink to release
     * @throws Exception if it cannot be released
     */
    protected void dispose(Sink<T> sink) throws Exception {
        if (sink instanceof AutoCloseable) {
            ((AutoCloseable) sink).close();
        }
    }

    /** @return the sink of the running test */
    protected final Sink<T> sink() {
        return sink;
    }

    /**
     * @param n a small offset
     * @return a realistic version ({@link Versions#firstVersion} of the test's start, plus n)
     */
    protected final long version(long n) {
        return base + n;
    }

    /**
     * @param id      the entity id
     * @param version the version
     * @param variant the content variant
     * @return an UPSERT change carrying {@link #entity(String, int)}
     */
    protected final Change<T> upsert(String id, long version, int variant) {
        return Change.<T>builder().entityType(entityType()).id(id).version(version).operation(Operation.UPSERT)
                .state(entity(id, variant)).correlationId("contract-" + id + "-" + version)
                .time(Instant.ofEpochMilli(version / Versions.PER_MILLISECOND)).build();
    }

    /**
     * @param id      the entity id
     * @param version the version
     * @return a DELETE change
     */
    protected final Change<T> delete(String id, long version) {
        return Change.<T>builder().entityType(entityType()).id(id).version(version).operation(Operation.DELETE)
                .correlationId("contract-" + id + "-" + version)
                .time(Instant.ofEpochMilli(version / Versions.PER_MILLISECOND)).build();
    }

    @BeforeEach
    final void createSinkUnderTest() throws Exception {
        base = Versions.firstVersion(Instant.now());
        sink = createSink();
        assertNotNull(sink, "createSink() must return a sink");
    }

    @AfterEach
    final void disposeSinkUnderTest() throws Exception {
        if (sink != null) {
            dispose(sink);
        }
    }

    // ------------------------------------------------------------------ the contract

    @Test
    final void aSinkBuiltForOneEntityTypeRefusesAnotherAtBuildAndAtApply() {
        Optional<String> bound = sink.boundEntityType();
        assumeTrue(bound.isPresent(), "this sink takes changes of any entity type");
        assertEquals(entityType(), bound.get(), "the sink is bound to the type it was built for");
        Change<T> other = Change.<T>builder().entityType(entityType() + "-other").id("t-1").version(version(1))
                .operation(Operation.DELETE).correlationId("contract-other").time(Instant.now()).build();
        Exception e = assertThrows(Exception.class, () -> sink.apply(other), "a change of another type is refused");
        assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(e), "and that is PERMANENT: " + e);
        IllegalStateException wiring = assertThrows(IllegalStateException.class, () -> DualWriter.<T>builder()
                .entityType(entityType() + "-other").idOf(x -> "x").primary(new InMemoryPrimaryStore<>())
                .deadLetterStore(new InMemoryDeadLetterStore()).sink("s", sink).build(),
                "a writer of another type refuses the sink when it is built");
        assertTrue(wiring.getMessage().contains("'" + entityType() + "'"), wiring.getMessage());
    }

    @Test
    final void appliesAnUpsertAndTheDestinationHoldsIt() throws Exception {
        ApplyResult r = sink.apply(upsert("a-1", version(1), 1));
        assertEquals(ApplyResult.APPLIED, r, "a first change of a new entity must be APPLIED");
        assertLive("a-1", version(1), 1);
    }

    @Test
    final void replacesTheWholeStateWithANewerVersion() throws Exception {
        sink.apply(upsert("a-2", version(1), 1));
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("a-2", version(2), 2)),
                "a newer version must be APPLIED");
        assertLive("a-2", version(2), 2);
    }

    @Test
    final void sameChangeTwiceIsAlreadyCurrentTheSecondTime() throws Exception {
        Change<T> c = upsert("i-1", version(3), 3);
        assertEquals(ApplyResult.APPLIED, sink.apply(c), "the first delivery must be APPLIED");
        Optional<Stored<T>> before = readBack(sink, "i-1");
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(c), "a redelivery of the same change must be ALREADY_CURRENT");
        assertEquals(before, readBack(sink, "i-1"), "a redelivery must leave the destination unchanged");
        assertLive("i-1", version(3), 3);
    }

    @Test
    final void olderVersionAfterANewerOneChangesNothing() throws Exception {
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("m-1", version(5), 5)), "version 5 must be APPLIED");
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("m-1", version(4), 4)),
                "an older version arriving late must be ALREADY_CURRENT");
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("m-1", version(1), 1)),
                "a much older version arriving late must be ALREADY_CURRENT");
        assertLive("m-1", version(5), 5);
    }

    @Test
    final void deleteRemovesTheEntityAndAnOlderUpsertDoesNotResurrectIt() throws Exception {
        sink.apply(upsert("d-1", version(1), 1));
        assertEquals(ApplyResult.APPLIED, sink.apply(delete("d-1", version(2))), "a newer delete must be APPLIED");
        assertNotLive("d-1", "after its delete");
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("d-1", version(1), 1)),
                "an upsert older than the delete must be ALREADY_CURRENT");
        assertNotLive("d-1", "after a late upsert older than its delete");
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(delete("d-1", version(2))),
                "a redelivered delete must be ALREADY_CURRENT");
        assertNotLive("d-1", "after a redelivered delete");
    }

    @Test
    final void deleteOfAnUnseenEntityGuardsAgainstItsLateCreation() throws Exception {
        ApplyResult r = sink.apply(delete("d-2", version(7)));
        assertNotNull(r, "a delete of an entity the sink never saw must succeed");
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("d-2", version(6), 6)),
                "an upsert older than a delete that arrived first must be ALREADY_CURRENT");
        assertNotLive("d-2", "after a late upsert older than its delete");
    }

    @Test
    final void reCreateAfterDeleteWithAHigherVersionWorks() throws Exception {
        sink.apply(upsert("r-1", version(1), 1));
        sink.apply(delete("r-1", version(2)));
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("r-1", version(3), 3)),
                "a re-create with a version above the delete must be APPLIED");
        assertLive("r-1", version(3), 3);
        // a new incarnation after the tombstone left the primary starts far above the old versions
        sink.apply(delete("r-1", version(4)));
        long reborn = version(4) + 10 * Versions.PER_MILLISECOND;
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("r-1", reborn, 9)),
                "a new incarnation with a first version above the old tombstone must be APPLIED");
        assertLive("r-1", reborn, 9);
    }

    @Test
    final void applyAllReturnsOneResultPerItemInOrder() throws Exception {
        sink.apply(upsert("b-stale", version(5), 5));
        sink.apply(upsert("b-dup", version(4), 4));
        sink.apply(upsert("b-gone", version(1), 1));
        List<Change<T>> batch = new ArrayList<>();
        batch.add(upsert("b-new", version(1), 1));
        batch.add(upsert("b-stale", version(3), 3));
        batch.add(delete("b-gone", version(2)));
        batch.add(upsert("b-dup", version(4), 4));
        batch.add(upsert("b-up", version(7), 7));
        Optional<Change<T>> poison = permanentlyRejectedChange("b-poison", version(2));
        poison.ifPresent(batch::add);
        batch.add(upsert("b-last", version(2), 2));

        List<Sink.BatchItem> items = sink.applyAll(List.copyOf(batch));
        assertNotNull(items, "applyAll must return a list");
        assertEquals(batch.size(), items.size(), "applyAll must return one result per change");
        assertResult(ApplyResult.APPLIED, items.get(0), "item 0 (a new entity)");
        assertResult(ApplyResult.ALREADY_CURRENT, items.get(1), "item 1 (older than what the sink holds)");
        assertResult(ApplyResult.APPLIED, items.get(2), "item 2 (a delete)");
        assertResult(ApplyResult.ALREADY_CURRENT, items.get(3), "item 3 (a duplicate)");
        assertResult(ApplyResult.APPLIED, items.get(4), "item 4 (a new entity)");
        int last = 5;
        if (poison.isPresent()) {
            Sink.BatchItem p = items.get(5);
            assertFalse(p.succeeded(), "item 5 (a change the destination rejects) must fail");
            assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(p.error()),
                    "the classifier must call the rejection of item 5 PERMANENT, was: " + p.error());
            last = 6;
        }
        assertResult(ApplyResult.APPLIED, items.get(last), "item " + last + " (after the others)");

        assertLive("b-new", version(1), 1);
        assertLive("b-stale", version(5), 5);
        assertNotLive("b-gone", "after a batched delete");
        assertLive("b-dup", version(4), 4);
        assertLive("b-up", version(7), 7);
        assertLive("b-last", version(2), 2);
    }

    @Test
    final void applyAllOfNothingReturnsNothing() {
        List<Sink.BatchItem> items = sink.applyAll(List.of());
        assertNotNull(items, "applyAll of an empty list must return a list");
        assertTrue(items.isEmpty(), "applyAll of an empty list must return no results");
    }

    @Test
    final void concurrentDeliveriesOfManyVersionsEndAtTheHighest() throws Exception {
        int threads = concurrentThreads();
        int versions = concurrentVersions();
        long seed = seed();
        List<Integer> order = new ArrayList<>();
        for (int v = 1; v <= versions; v++) {
            order.add(v);
            order.add(v); // every version twice: duplicates race with newer versions
        }
        Collections.shuffle(order, new Random(seed));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = me; i < order.size(); i += threads) {
                        int v = order.get(i);
                        sink.apply(upsert("c-1", version(v), v));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        Optional<Stored<T>> held = readBack(sink, "c-1");
        assertTrue(held.isPresent() && held.get().live(),
                "after concurrent deliveries the entity must be live (seed " + seed + "), was " + held);
        assertEquals(version(versions), held.get().version(),
                "concurrent deliveries must end at the highest version (seed " + seed + ")");
        held.get().state().ifPresent(s -> assertEquals(entity("c-1", versions), s,
                "concurrent deliveries must end with the highest version's state (seed " + seed + ")"));
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("c-1", version(versions), versions)),
                "the highest version again must be ALREADY_CURRENT");
    }

    @Test
    final void versionsOfOmitsAbsentAndDeletedIds() throws Exception {
        ReconcilableSink<T> rs = reconcilable();
        rs.apply(upsert("v-live", version(2), 2));
        rs.apply(upsert("v-other", version(9), 9));
        rs.apply(upsert("v-deleted", version(1), 1));
        rs.apply(delete("v-deleted", version(2)));
        rs.apply(delete("v-never", version(3)));
        Map<String, Long> held = rs.versionsOf(List.of("v-live", "v-other", "v-deleted", "v-never", "v-absent"));
        assertEquals(Map.of("v-live", version(2), "v-other", version(9)), Map.copyOf(held),
                "versionsOf must list live entities with their versions and omit absent and deleted ids");
        assertTrue(rs.versionsOf(List.of()).isEmpty(), "versionsOf of no ids must be empty");
    }

    @Test
    final void idsAfterPagesInAscendingOrderWithoutGapsOrRepeats() throws Exception {
        ReconcilableSink<T> rs = reconcilable();
        TreeSet<String> live = new TreeSet<>();
        String[] prefixes = {"A", "a", "b", "B-", "z", "0", "9x", "a-b", "a_b", "aa"};
        int n = 0;
        for (String p : prefixes) {
            for (int i = 0; i < 3; i++) {
                String id = p + i;
                n++;
                rs.apply(upsert(id, version(n), n));
                if (n % 4 == 0) {
                    rs.apply(delete(id, version(n + 1)));
                } else {
                    live.add(id);
                }
            }
        }
        List<String> seen = new ArrayList<>();
        Set<String> unique = new HashSet<>();
        String after = null;
        for (int page = 0; page < 100; page++) {
            List<String> ids = rs.idsAfter(after, 4);
            assertNotNull(ids, "idsAfter must return a list");
            assertTrue(ids.size() <= 4, "idsAfter must return at most limit ids, returned " + ids.size());
            if (ids.isEmpty()) {
                break;
            }
            for (String id : ids) {
                assertTrue(after == null || id.compareTo(after) > 0,
                        "idsAfter(" + after + ") returned " + id + ", which is not after it");
                assertTrue(unique.add(id), "idsAfter returned " + id + " twice");
                seen.add(id);
                after = id;
            }
        }
        assertEquals(new ArrayList<>(live), seen,
                "paging idsAfter must list every live id exactly once, in ascending String order, and no deleted one");
        assertEquals(List.of(live.first()), rs.idsAfter(null, 1), "the first page of one must be the smallest id");
        assertTrue(rs.idsAfter(live.last(), 10).isEmpty(), "nothing comes after the largest id");
    }

    @Test
    final void permanentRejectionIsClassifiedPermanent() throws Exception {
        Optional<Change<T>> poison = permanentlyRejectedChange("p-1", version(1));
        assumeTrue(poison.isPresent(), "the subclass supplies no change its destination rejects permanently");
        Exception e = assertThrows(Exception.class, () -> sink.apply(poison.get()),
                "a change the destination rejects must fail with an exception");
        assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(e),
                "the sink's classifier must call a rejected change PERMANENT, was: " + e);
        // a rejected change must not block the entity's next good version
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("p-1", version(2), 2)),
                "a good version after a rejected one must be APPLIED");
        assertLive("p-1", version(2), 2);
    }

    @Test
    final void aMappingFailureIsPermanentAndNeverOpensTheCircuit() throws Exception {
        Sink<T> unmappable = sinkWithMappingFailingFor(UNMAPPABLE_ID).orElse(null);
        assumeTrue(unmappable != null, "the subclass supplies no sink whose mapping fails");
        // a strict breaker: four failures it counted among the last four calls would open it for ten minutes
        SinkSettings strict = SinkSettings.builder().circuitBreaker(CircuitBreakerConfig.custom().slidingWindowSize(4)
                .minimumNumberOfCalls(4).failureRateThreshold(50).waitDurationInOpenState(Duration.ofMinutes(10))
                .build()).build();
        try (DualWriter<T> writer = writer(unmappable, strict)) {
            for (int i = 1; i <= 8; i++) {
                WriteResult r = writer.save(entityOf(UNMAPPABLE_ID, i));
                assertEquals(SinkOutcome.DEAD_LETTERED, r.outcome(WRITER_SINK).orElseThrow(),
                        "save " + i + " of an entity whose mapping fails must dead-letter it at once: " + r);
            }
            DeadLetter dead = writer.deadLetters().inspect(DeadLetter.idOf(entityType(), UNMAPPABLE_ID, WRITER_SINK))
                    .orElseThrow(() -> new AssertionError("the unmappable entity must be in the dead-letter store"));
            assertEquals(ErrorKind.PERMANENT, dead.kind(), "a mapping failure is PERMANENT: " + dead.lastError());
            assertEquals(Optional.empty(), readBack(sink, UNMAPPABLE_ID),
                    "nothing of an entity whose mapping fails may reach the destination");
            assertEquals(CircuitBreaker.State.CLOSED, breakers.find(DualWriter.circuitBreakerName(entityType(),
                    WRITER_SINK)).orElseThrow().getState(),
                    "a mapping failure never counts against the sink's health, however often it happens");
            WriteResult healthy = writer.save(entityOf("mapped", 1));
            assertEquals(SinkOutcome.APPLIED, healthy.outcome(WRITER_SINK).orElseThrow(),
                    "an entity that maps is delivered: " + healthy);
            assertLive("mapped", healthy.version(), 1);
        } finally {
            close(unmappable);
        }
    }

    @Test
    final void aMappingFailureInARecoveryBatchFailsAloneAndTheOthersGoOutInOneCall() throws Exception {
        Sink<T> unmappable = sinkWithMappingFailingFor(UNMAPPABLE_ID).orElse(null);
        assumeTrue(unmappable != null, "the subclass supplies no sink whose mapping fails");
        List<List<String>> calls = new CopyOnWriteArrayList<>();
        ForwardingSink<T> watched = new ForwardingSink<>(unmappable) {
            @Override
            public List<BatchItem> sendAll(List<Mapped<T, Object>> mapped) {
                calls.add(mapped.stream().map(m -> m.change().id()).sorted().toList());
                return super.sendAll(mapped);
            }
        };
        try (DualWriter<T> writer = writer(watched, SinkSettings.builder().policy(DeliveryPolicy.ASYNC).build())) {
            long first = writer.save(entityOf("batch-a", 1)).version();
            writer.save(entityOf(UNMAPPABLE_ID, 2));
            long last = writer.save(entityOf("batch-b", 3)).version();
            RecoveryReport report = writer.operations().recoverDue();
            assertEquals(2, report.delivered(), "the changes that map are delivered: " + report);
            assertEquals(1, report.deadLettered(), "the one that does not is dead-lettered on the first pass: " + report);
            assertEquals(List.of(List.of("batch-a", "batch-b")), calls,
                    "the changes that map must go to the sink together, in one call, without the one that does not");
            assertEquals(ErrorKind.PERMANENT, writer.deadLetters()
                    .inspect(DeadLetter.idOf(entityType(), UNMAPPABLE_ID, WRITER_SINK)).orElseThrow().kind(), "PERMANENT");
            assertLive("batch-a", first, 1);
            assertLive("batch-b", last, 3);
            assertEquals(Optional.empty(), readBack(sink, UNMAPPABLE_ID),
                    "nothing of an entity whose mapping fails may reach the destination");
        } finally {
            close(unmappable);
        }
    }

    @Test
    final void contentDigestOfWhatTheSinkHoldsIsTheOneItExpects() throws Exception {
        ContentDigestingSink<T> cs = contentDigesting();
        Change<T> first = upsert("cd-1", version(1), 1);
        Change<T> replaced = upsert("cd-2", version(3), 3);
        Change<T> other = upsert("cd-3", version(2), 2);
        cs.apply(first);
        cs.apply(upsert("cd-2", version(2), 2));
        cs.apply(replaced);
        cs.apply(other);
        cs.apply(upsert("cd-gone", version(1), 1));
        cs.apply(delete("cd-gone", version(2)));
        Map<String, ContentDigest> held = cs.contentDigestsOf(List.of("cd-1", "cd-2", "cd-3", "cd-gone", "cd-absent"));
        assertEquals(Set.of("cd-1", "cd-2", "cd-3"), held.keySet(),
                "contentDigestsOf must report live entities and omit absent and deleted ids");
        assertEquals(cs.expectedContentDigest(first), held.get("cd-1"),
                "what the sink holds after a change must digest to what it expects for that change");
        assertEquals(cs.expectedContentDigest(replaced), held.get("cd-2"),
                "after a newer version, the digest of the newer content");
        assertEquals(cs.expectedContentDigest(other), held.get("cd-3"), "the digest of cd-3's content");
        assertEquals(cs.expectedContentDigest(upsert("cd-1", version(1), 1)), cs.expectedContentDigest(first),
                "the expected digest must be the same for the same change, every time");
        assertEquals(cs.expectedContentDigest(first), cs.expectedContentDigest(upsert("cd-1", version(9), 1)),
                "the digest covers content, not the version");
        assertNotEquals(held.get("cd-1"), cs.expectedContentDigest(upsert("cd-1", version(1), 4)),
                "other content must have another digest");
        assertEquals(held, cs.contentDigestsOf(List.of("cd-3", "cd-2", "cd-1")),
                "reading again, in another order, must give the same digests");
        assertTrue(cs.contentDigestsOf(List.of()).isEmpty(), "contentDigestsOf of no ids must be empty");
        assertThrows(IllegalArgumentException.class, () -> cs.expectedContentDigest(delete("cd-1", version(4))),
                "a delete has no content");
    }

    @Test
    final void contentOverwrittenAtTheSameVersionHasAnotherDigest() throws Exception {
        ContentDigestingSink<T> cs = contentDigesting();
        Change<T> delivered = upsert("co-1", version(5), 5);
        cs.apply(delivered);
        assumeTrue(overwriteKeepingVersion(cs, "co-1", version(5), entity("co-1", 6)),
                "the subclass cannot write to the destination directly");
        assertEquals(Map.of("co-1", version(5)), Map.copyOf(cs.versionsOf(List.of("co-1"))),
                "the overwrite must keep the version");
        ContentDigest held = cs.contentDigestsOf(List.of("co-1")).get("co-1");
        assertNotEquals(cs.expectedContentDigest(delivered), held,
                "other content at the same version must not digest to the delivered content");
        assertEquals(cs.expectedContentDigest(upsert("co-1", version(5), 6)), held,
                "the digest must be that of the content the destination holds now");
    }

    @Test
    final void theSameContentInAnotherFormHasTheSameDigest() throws Exception {
        ContentDigestingSink<T> cs = contentDigesting();
        Change<T> delivered = upsert("cf-1", version(4), 4);
        cs.apply(delivered);
        ContentDigest before = cs.contentDigestsOf(List.of("cf-1")).get("cf-1");
        assumeTrue(rewriteInAnotherForm(cs, "cf-1"), "the subclass cannot rewrite the destination directly");
        assertLive("cf-1", version(4), 4);
        assertEquals(before, cs.contentDigestsOf(List.of("cf-1")).get("cf-1"),
                "the order of fields, whitespace and number formatting must not change the digest");
        assertEquals(cs.expectedContentDigest(delivered), before, "and it must still be the expected one");
    }

    @Test
    final void reconciliationFindsContentDriftAtEqualVersionsAndRepairsIt() throws Exception {
        ContentDigestingSink<T> cs = contentDigesting();
        InMemoryPrimaryStore<T> primary = new InMemoryPrimaryStore<>();
        try (DualWriter<T> writer = writer(cs, SinkSettings.DEFAULT, primary)) {
            long v = writer.save(entityOf("rc-drift", 1)).version();
            long kept = writer.save(entityOf("rc-kept", 2)).version();
            writer.operations().flushAcknowledgements();
            assumeTrue(overwriteKeepingVersion(cs, "rc-drift", v, entity("rc-drift", 8)),
                    "the subclass cannot write to the destination directly");

            ReconcileReport versionsOnly = reconciler(writer, primary, cs, false).dryRun(ReconcileScope.all());
            assertEquals(0, versionsOnly.drift(), "comparing versions alone sees nothing: " + versionsOnly.summary());

            Reconciler reconciler = reconciler(writer, primary, cs, true);
            ReconcileReport dry = reconciler.dryRun(ReconcileScope.all());
            assertEquals(1, dry.count(DriftClass.CONTENT_MISMATCH), "comparing content finds it: " + dry.summary());
            assertEquals(List.of(new PlanEntry(WRITER_SINK, "rc-drift", DriftClass.CONTENT_MISMATCH,
                    RepairAction.REWRITE, v, v)), dry.samples(), "the sample names it");
            assertEquals(v, primary.read("rc-drift").orElseThrow().version(), "a dry run writes nothing");
            assertLive("rc-drift", v, 8);

            ReconcileReport applied = reconciler.apply(ReconcileScope.all());
            assertEquals(1, applied.actions(RepairOutcome.REWRITTEN), applied.summary());
            assertEquals(v + 1, primary.read("rc-drift").orElseThrow().version(), "the primary's version grew by one");
            assertLive("rc-drift", v + 1, 1);
            assertLive("rc-kept", kept, 2);
            ReconcileReport again = reconciler.apply(ReconcileScope.all());
            assertEquals(0, again.drift(), "nothing is left: " + again.summary());
        }
    }

    // ------------------------------------------------------------------ helpers

    /** A writer over an in-memory primary and dead-letter store, delivering to one sink. */
    private DualWriter<T> writer(Sink<T> to, SinkSettings settings) {
        return writer(to, settings, new InMemoryPrimaryStore<>());
    }

    private DualWriter<T> writer(Sink<T> to, SinkSettings settings, PrimaryStore<T> primary) {
        return DualWriter.<T>builder().entityType(entityType()).idOf(this::idOf)
                .primary(primary).deadLetterStore(new InMemoryDeadLetterStore()).circuitBreakerRegistry(breakers)
                .meterRegistry(new SimpleMeterRegistry()).sink(WRITER_SINK, to, settings).build();
    }

    private Reconciler reconciler(DualWriter<T> writer, PrimaryStore<T> primary, ReconcilableSink<T> of,
                                  boolean compareContent) {
        return Reconciler.<T>builder().writer(writer).primary(primary).sink(WRITER_SINK, of)
                .compareContent(compareContent).meterRegistry(new SimpleMeterRegistry()).build();
    }

    /** {@link #entity(String, int)}, remembered so the writer can tell its id. */
    private T entityOf(String id, int variant) {
        T e = entity(id, variant);
        idsOfEntities.put(e, id);
        return e;
    }

    private String idOf(T entity) {
        String id = idsOfEntities.get(entity);
        if (id == null) {
            throw new IllegalStateException("an entity this test did not make: " + entity);
        }
        return id;
    }

    private static void close(Sink<?> s) throws Exception {
        if (s instanceof AutoCloseable) {
            ((AutoCloseable) s).close();
        }
    }

    private ReconcilableSink<T> reconcilable() {
        assumeTrue(sink instanceof ReconcilableSink, "the sink is not a ReconcilableSink");
        return (ReconcilableSink<T>) sink;
    }

    private ContentDigestingSink<T> contentDigesting() {
        assumeTrue(sink instanceof ContentDigestingSink, "the sink is not a ContentDigestingSink");
        return (ContentDigestingSink<T>) sink;
    }

    private void assertResult(ApplyResult expected, Sink.BatchItem item, String what) {
        if (!item.succeeded()) {
            fail(what + " must be " + expected + " but failed: " + item.error(), item.error());
        }
        assertEquals(expected, item.result(), what + " must be " + expected);
    }

    /**
     * Asserts that the destination holds a live entity at a version with a variant's content.
     *
     * @param id      the entity id
     * @param version the version it must hold
     * @param variant the content variant it must hold (compared when the state can be read back)
     * @throws Exception if the destination cannot be read
     */
    protected final void assertLive(String id, long version, int variant) throws Exception {
        Optional<Stored<T>> held = readBack(sink, id);
        assertTrue(held.isPresent(), "the destination must hold " + id + "@" + version + ", it holds nothing");
        assertTrue(held.get().live(), "the destination must hold " + id + " live, it holds " + held.get());
        assertEquals(version, held.get().version(), "the destination must hold " + id + " at version " + version);
        held.get().state().ifPresent(s -> assertEquals(entity(id, variant), s,
                "the destination must hold the state of " + id + "@" + version));
    }

    /**
     * Asserts that the destination holds no live entity for an id.
     *
     * @param id   the entity id
     * @param when when, for the message
     * @throws Exception if the destination cannot be read
     */
    protected final void assertNotLive(String id, String when) throws Exception {
        Optional<Stored<T>> held = readBack(sink, id);
        assertTrue(held.isEmpty() || !held.get().live(),
                "the destination must not hold " + id + " live " + when + ", it holds " + held.orElse(null));
    }
}
