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

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A sink that can say what it holds, so the reconciler can compare it with the primary.
 * Thread-safe like every {@link Sink}.
 *
 * @param <T> the entity type
 */
public interface ReconcilableSink<T> extends Sink<T> {

    /**
     * @param ids entity ids, never null
     * @return for each id the sink holds a live (not deleted) entity for, its version; ids the sink
     *         does not hold, or holds only as a tombstone, are absent. It reads the sink's own
     *         writes: a change {@link #apply} acknowledged is reflected (the reconciler reads back
     *         what it republished)
     * @throws Exception when the sink cannot be read; classified by {@link #classifier()}
     */
    Map<String, Long> versionsOf(Collection<String> ids) throws Exception;

    /**
     * Lists the ids of the live entities the sink holds, in ascending {@link String#compareTo}
     * order, starting after {@code afterExclusive}.
     *
     * @param afterExclusive the last id of the previous page, or null for the first page
     * @param limit          the page size, at least 1
     * @return at most {@code limit} ids, ascending; empty when there are no more
     * @throws Exception when the sink cannot be read; classified by {@link #classifier()}
     */
    List<String> idsAfter(String afterExclusive, int limit) throws Exception;
}
