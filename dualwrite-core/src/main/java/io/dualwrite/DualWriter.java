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

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The synchronous dual-write coordinator of one entity collection: the application calls it
 * around its saves and deletes. One atomic primary write stores the new state, its version and
 * the intent to deliver to every sink; the coordinator then delivers the change to each SYNC
 * and REQUIRED sink in parallel under its policies, and acknowledges the delivered intents off
 * the caller's path. Whatever it cannot finish, a recovery pass ({@link WriterOperations#recoverDue()},
 * usually driven by a {@link RecoveryWorker}) finishes later.
 *
 * <pre>{@code
 * DualWriter<Product> products = DualWriter.<Product>builder()
 *         .entityType("product")
 *         .idOf(Product::id)
 *         .primary(primaryStore)
 *         .deadLetterStore(deadLetterStore)
 *         .sink("search", searchSink)
 *         .build();
 * WriteResult result = products.save(new Product("p-1", "Kettle", 2999));
 * }</pre>
 *
 * <p>Thread-safe: one instance per entity collection, shared by every thread.
 *
 * @param <T> the entity type
 */
public interface DualWriter<T> extends AutoCloseable {

    /**
     * @param <T> the entity type
     * @return a new builder
     */
    static <T> DualWriterBuilder<T> builder() {
        return new DualWriterBuilder<>();
    }

    /**
     * The name of a sink's circuit breaker in the writer's {@link
     * io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry} ({@link DualWriterBuilder#circuitBreakerRegistry}),
     * where its state can be read: {@code registry.find(DualWriter.circuitBreakerName("product", "search"))}.
     *
     * @param entityType the writer's entity type
     * @param sink       the sink's name
     * @return {@code dualwrite.<entityType>.<sink>}
     */
    static String circuitBreakerName(String entityType, String sink) {
        return "dualwrite." + java.util.Objects.requireNonNull(entityType, "entityType") + "."
                + java.util.Objects.requireNonNull(sink, "sink");
    }

    /**
     * Saves an entity (insert or replace) and delivers it; see {@link #save(Object, WriteOptions)}.
     *
     * @param entity the entity, not null
     * @return the result
     */
    default WriteResult save(T entity) {
        return save(entity, WriteOptions.DEFAULT);
    }

    /**
     * Commits the entity as a new version with an intent for every sink, in one atomic primary
     * write, then delivers it to every SYNC and REQUIRED sink in parallel.
     *
     * @param entity  the entity, not null
     * @param options per-call options, not null
     * @return the committed version and each sink's outcome
     * @throws NullPointerException          if entity, its id or options is null
     * @throws IllegalStateException         if no id function is configured or the writer is closed
     * @throws EntitySerializationException  if the entity cannot be serialized (nothing is written)
     * @throws VersionConflictException      if an expected version was given and the primary moved on
     * @throws PrimaryWriteException         if the primary failed (no sink is touched)
     * @throws RequiredSinkFailedException   if a REQUIRED sink failed and the write was compensated
     */
    WriteResult save(T entity, WriteOptions options);

    /**
     * Deletes an entity; see {@link #delete(String, WriteOptions)}.
     *
     * @param id the entity id, not null
     * @return the result
     */
    default WriteResult delete(String id) {
        return delete(id, WriteOptions.DEFAULT);
    }

    /**
     * Commits a tombstone (a new version without state) with an intent for every sink, then
     * delivers the delete. The tombstone leaves the primary once every sink acknowledged it.
     * Deleting an absent or already deleted entity writes nothing and returns a result whose
     * {@link WriteResult#written()} is false.
     *
     * @param id      the entity id, not null
     * @param options per-call options, not null
     * @return the committed version and each sink's outcome
     * @throws VersionConflictException    if an expected version was given and the primary moved on
     * @throws PrimaryWriteException       if the primary failed (no sink is touched)
     * @throws RequiredSinkFailedException if a REQUIRED sink failed and the delete was compensated
     */
    WriteResult delete(String id, WriteOptions options);

    /**
     * Write-ahead mode: records the intent durably, runs the caller's own save (a repository
     * call), reads back what the primary committed and delivers it. Needs a primary store with a
     * write-ahead mode.
     *
     * @param id         the id of the entity the caller saves, not null
     * @param callerSave the caller's save, not null; an exception from it propagates after the intent is recorded
     *                   (recovery then delivers whatever the primary holds, which is harmless)
     * @return the result
     */
    default WriteResult saveWith(String id, Runnable callerSave) {
        return saveWith(id, callerSave, WriteOptions.DEFAULT);
    }

    /**
     * Write-ahead mode with options; see {@link #saveWith(String, Runnable)}.
     *
     * @param id         the entity id, not null
     * @param callerSave the caller's save, not null
     * @param options    per-call options, not null
     * @return the result
     * @throws UnsupportedOperationException if the primary store has no write-ahead mode
     */
    WriteResult saveWith(String id, Runnable callerSave, WriteOptions options);

    /**
     * Write-ahead mode around a save that returns what it saved, such as Spring Data's
     * {@code repository.save(entity)}: records the intent durably, runs the caller's save and
     * delivers the entity it returns, without reading it back. The returned entity must be
     * exactly what the save wrote, its version field included (a repository with an optimistic
     * {@code @Version} field returns that); a save that returns null is read back as with
     * {@link #saveWith(String, Runnable)}. Needs a primary store with a write-ahead mode.
     *
     * @param id         the id of the entity the caller saves, not null
     * @param callerSave the caller's save, not null; an exception from it propagates after the intent is recorded
     *                   (recovery then delivers whatever the primary holds, which is harmless)
     * @return the result
     */
    default WriteResult saveReturning(String id, Supplier<? extends T> callerSave) {
        return saveReturning(id, callerSave, WriteOptions.DEFAULT);
    }

    /**
     * Write-ahead mode around a save that returns what it saved, with options; see
     * {@link #saveReturning(String, Supplier)}.
     *
     * @param id         the entity id, not null
     * @param callerSave the caller's save, not null
     * @param options    per-call options, not null
     * @return the result
     * @throws UnsupportedOperationException if the primary store has no write-ahead mode
     */
    WriteResult saveReturning(String id, Supplier<? extends T> callerSave, WriteOptions options);

    /**
     * Write-ahead mode for a delete: records the intent, runs the caller's delete, delivers it.
     *
     * @param id           the entity id, not null
     * @param callerDelete the caller's delete, not null
     * @return the result
     */
    default WriteResult deleteWith(String id, Runnable callerDelete) {
        return deleteWith(id, callerDelete, WriteOptions.DEFAULT);
    }

    /**
     * Write-ahead mode for a delete, with options; see {@link #deleteWith(String, Runnable)}.
     *
     * @param id           the entity id, not null
     * @param callerDelete the caller's delete, not null
     * @param options      per-call options, not null
     * @return the result
     * @throws UnsupportedOperationException if the primary store has no write-ahead mode
     */
    WriteResult deleteWith(String id, Runnable callerDelete, WriteOptions options);

    /**
     * @param id the entity id, not null
     * @return what the primary holds for it now (deleted while its tombstone is kept), empty when
     *         it holds nothing
     * @throws io.dualwrite.UnreadableEntityException when the primary holds a document its codec
     *                                                    cannot decode
     */
    Optional<StoredEntity<T>> read(String id);

    /** @return the operator's view of this coordinator's dead letters */
    DeadLetters deadLetters();

    /** @return the entity type */
    String entityType();

    /** @return the registered sink names, in registration order */
    List<String> sinkNames();

    /**
     * The operational handle of this writer: recovery passes, the backlog, acknowledgement
     * flushing, redelivery, orphan removal and rewrites, for the recovery worker, the reconciler,
     * the relays and operators' tools. An application's own code needs only the methods above.
     *
     * @return the handle (the same one on every call)
     */
    WriterOperations<T> operations();

    /**
     * Flushes the queued acknowledgements and stops the threads this writer owns. Calls after
     * close throw {@link IllegalStateException}. Idempotent.
     */
    @Override
    void close();
}
