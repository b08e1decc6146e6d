package io.dualwrite.cli.internal;

import io.dualwrite.DeadLetter;
import io.dualwrite.mongo.operations.DeadLetters;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A dead letter as a listing shows it. Stateless. */
final class DeadLetterFields {
    /** The fields of {@link DeadLetters#fields} a listing shows, in order. */
    private static final List<String> LISTED = List.of("id", "version", "kind", "attempts", "created", "last_error");

    private DeadLetterFields() {
    }

    /** @return the fields a listing shows, one row per dead letter */
    static Map<String, Object> row(DeadLetter d) {
        Map<String, Object> all = DeadLetters.fields(d);
        Map<String, Object> row = new LinkedHashMap<>();
        LISTED.forEach(k -> row.put(k, all.get(k)));
        return row;
    }
}
