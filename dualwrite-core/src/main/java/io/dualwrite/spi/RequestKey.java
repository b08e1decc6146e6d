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
package io.dualwrite.spi;

import io.dualwrite.Operation;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A caller's request key as a primary store remembers it with the write that carried it, and
 * the rules every store applies to such keys, so that each store keeps the same promise:
 * the same key within its window answers with the first write; keys older than the window are
 * forgotten; a compensation forgets the key of the write it undoes; at most a fixed number are
 * kept per entity, the oldest dropped first. Immutable.
 */
public final class RequestKey {
    private final String key;
    private final long version;
    private final Operation operation;
    private final Instant at;

    /**
     * @param key       the caller's request key
     * @param version   the version the write committed
     * @param operation the write's operation
     * @param at        the write's commit time
     */
    public RequestKey(String key, long version, Operation operation, Instant at) {
        this.key = Objects.requireNonNull(key, "key");
        this.version = version;
        this.operation = Objects.requireNonNull(operation, "operation");
        this.at = Objects.requireNonNull(at, "at");
    }

    /** @return the caller's request key */
    public String key() {
        return key;
    }

    /** @return the version the write committed */
    public long version() {
        return version;
    }

    /** @return the write's operation */
    public Operation operation() {
        return operation;
    }

    /** @return the write's commit time */
    public Instant at() {
        return at;
    }

    /**
     * @param recorded the keys an entity remembers, oldest first
     * @param write    a new write
     * @return the remembered key the write repeats within its window, if any
     */
    public static Optional<RequestKey> repeatedBy(List<RequestKey> recorded, PrimaryWrite<?> write) {
        if (write.requestKey().isEmpty()) {
            return Optional.empty();
        }
        Instant notBefore = write.time().minus(write.requestKeyWindow());
        String wanted = write.requestKey().get();
        return recorded.stream().filter(rk -> rk.key.equals(wanted) && !rk.at.isBefore(notBefore)).findFirst();
    }

    /**
     * @param recorded the keys the entity remembers before the write, oldest first
     * @param write    the write being committed
     * @param version  the version it commits
     * @param max      the most keys to keep
     * @return the keys to remember after it: those still within the window and not undone by it, then
     *         its own key, capped at {@code max} by dropping the oldest
     */
    public static List<RequestKey> afterCommit(List<RequestKey> recorded, PrimaryWrite<?> write, long version,
                                               int max) {
        Instant notBefore = write.time().minus(write.requestKeyWindow());
        List<RequestKey> next = new ArrayList<>(recorded.size() + 1);
        for (RequestKey rk : recorded) {
            if (!rk.at.isBefore(notBefore) && !write.forgetsRequestKeyOf(rk.version)) {
                next.add(rk);
            }
        }
        write.requestKey().ifPresent(k -> next.add(new RequestKey(k, version, write.operation(), write.time())));
        while (next.size() > max) {
            next.remove(0);
        }
        return next;
    }

    @Override
    public String toString() {
        return "RequestKey{" + key + " -> " + operation + "@" + version + "}";
    }
}
