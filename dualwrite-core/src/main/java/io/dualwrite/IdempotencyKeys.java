package io.dualwrite;

import io.dualwrite.internal.Args;
import java.util.Objects;

/**
 * Builds the default idempotency key of a change: {@code <type>/<id>@<version>}.
 * Thread-safe (stateless).
 */
public final class IdempotencyKeys {
    private IdempotencyKeys() {
    }

    /**
     * @param entityType the entity type, not null
     * @param id         the entity id, not null
     * @param version    the committed version, at least 1
     * @return {@code entityType + "/" + id + "@" + version}
     * @throws IllegalArgumentException if version is below 1
     */
    public static String of(String entityType, String id, long version) {
        Objects.requireNonNull(entityType, "entityType");
        Objects.requireNonNull(id, "id");
        Args.atLeast(version, 1, "version");
        return entityType + "/" + id + "@" + version;
    }
}
