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
