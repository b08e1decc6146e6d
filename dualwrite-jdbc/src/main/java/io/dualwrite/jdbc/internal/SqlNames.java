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
package io.dualwrite.jdbc.internal;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Checks table and column names before they are put into SQL text (they cannot be bound as
 * parameters): plain identifiers only, optionally schema-qualified. Thread-safe (stateless).
 */
public final class SqlNames {
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}");

    private SqlNames() {
    }

    /**
     * @param name a table name, optionally {@code schema.table}
     * @return the name
     * @throws IllegalArgumentException if it is not a plain identifier
     */
    public static String table(String name) {
        Objects.requireNonNull(name, "table");
        String[] parts = name.split("\\.", -1);
        if (parts.length > 2) {
            throw new IllegalArgumentException("a table name is [schema.]name, was: " + name);
        }
        for (String part : parts) {
            column(part);
        }
        return name;
    }

    /**
     * @param name a column name
     * @return the name
     * @throws IllegalArgumentException if it is not a plain identifier
     */
    public static String column(String name) {
        Objects.requireNonNull(name, "column");
        if (!IDENTIFIER.matcher(name).matches()) {
            throw new IllegalArgumentException("not a plain SQL identifier (letters, digits, _ and $, "
                    + "not starting with a digit, at most 63 characters): " + name);
        }
        return name;
    }
}
