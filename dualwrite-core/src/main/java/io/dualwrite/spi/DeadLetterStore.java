package io.dualwrite.spi;

import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;

import java.util.List;
import java.util.Optional;

/**
 * Where deliveries that cannot succeed wait for an operator. Implemented by
 * {@code dualwrite-mongo} (durable) and {@link io.dualwrite.memory.InMemoryDeadLetterStore}.
 * Implementations must be thread-safe and durable before {@link #add} returns: the coordinator
 * removes the intent only after that.
 */
public interface DeadLetterStore {

    /**
     * Stores a dead letter; if one with the same {@link DeadLetter#id()} exists, stores
     * {@code existing.mergeWith(deadLetter)} instead.
     *
     * @param deadLetter the dead letter, never null
     */
    void add(DeadLetter deadLetter);

    /**
     * @param query the filter, never null
     * @return the matching dead letters, oldest first (by creation time, then id), at most {@code query.limit()}
     */
    List<DeadLetter> list(DeadLetterQuery query);

    /**
     * @param id a dead letter id
     * @return the dead letter, if present
     */
    Optional<DeadLetter> get(String id);

    /**
     * @param id a dead letter id
     * @return true if it was present and is now removed
     */
    boolean remove(String id);

    /** @return how many dead letters are stored */
    long count();
}
