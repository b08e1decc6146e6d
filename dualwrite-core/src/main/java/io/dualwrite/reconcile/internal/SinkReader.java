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
package io.dualwrite.reconcile.internal;

import io.dualwrite.Change;
import io.dualwrite.spi.ContentDigest;
import io.dualwrite.spi.ContentDigestingSink;
import io.dualwrite.spi.DigestingSink;
import io.dualwrite.spi.RangeDigest;
import io.dualwrite.spi.ReconcilableSink;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * Reads one sink for one run: counts the calls, checks the listing order the SPI promises, and
 * walks the sink's ids with a cursor. Not thread-safe (one run's thread).
 *
 * @param <T> the entity type
 */
final class SinkReader<T> {
    final String name;
    private final ReconcilableSink<T> sink;
    private final DigestingSink<T> digesting;
    private final ContentDigestingSink<T> content;
    long calls;
    long digestCalls;

    SinkReader(String name, ReconcilableSink<T> sink, boolean useDigests, boolean compareContent) {
        this.name = name;
        this.sink = sink;
        this.digesting = useDigests && sink instanceof DigestingSink ? (DigestingSink<T>) sink : null;
        this.content = compareContent && sink instanceof ContentDigestingSink ? (ContentDigestingSink<T>) sink : null;
    }

    boolean digests() {
        return digesting != null;
    }

    /** @return true when this sink's content is compared */
    boolean comparesContent() {
        return content != null;
    }

    Map<String, ContentDigest> contentDigestsOf(Collection<String> ids) throws Exception {
        return read(ids, "contentDigestsOf", content::contentDigestsOf);
    }

    ContentDigest expectedContentDigest(Change<T> change) throws Exception {
        ContentDigest d = content.expectedContentDigest(change);
        if (d == null) {
            throw new IllegalStateException("sink '" + name + "' returned no expected digest for " + change.idempotencyKey());
        }
        return d;
    }

    Map<String, Long> versionsOf(Collection<String> ids) throws Exception {
        return read(ids, "versionsOf", sink::versionsOf);
    }

    /** One counted read of a sink about some ids; no call for none. */
    private <V> Map<String, V> read(Collection<String> ids, String what, ByIds<V> call) throws Exception {
        if (ids.isEmpty()) {
            return Map.of();
        }
        calls++;
        Map<String, V> out = call.read(ids);
        if (out == null) {
            throw new IllegalStateException("sink '" + name + "' returned no map from " + what);
        }
        return out;
    }

    /** A sink's read by ids. */
    @FunctionalInterface
    private interface ByIds<V> {
        Map<String, V> read(Collection<String> ids) throws Exception;
    }

    RangeDigest digest(String afterExclusive, String toInclusive) throws Exception {
        calls++;
        digestCalls++;
        RangeDigest d = digesting.digest(afterExclusive, toInclusive);
        if (d == null) {
            throw new IllegalStateException("sink '" + name + "' returned no digest for (" + afterExclusive + ", "
                    + toInclusive + "]");
        }
        return d;
    }

    private List<String> idsAfter(String after, int limit) throws Exception {
        calls++;
        List<String> page = sink.idsAfter(after, limit);
        if (page == null) {
            throw new IllegalStateException("sink '" + name + "' returned no list from idsAfter");
        }
        String prev = after;
        for (String id : page) {
            if (id == null || (prev != null && id.compareTo(prev) <= 0)) {
                throw new IllegalStateException("sink '" + name + "' listed ids out of ascending order after '" + after
                        + "': '" + id + "' follows '" + prev + "'");
            }
            prev = id;
        }
        return page;
    }

    /**
     * @param afterExclusive where to start
     * @param upperInclusive where to stop for good, null for the end
     * @param pageSize       ids per listing call
     * @return a cursor over the sink's ids in (afterExclusive, upperInclusive]
     */
    Cursor cursor(String afterExclusive, String upperInclusive, int pageSize) {
        return new Cursor(afterExclusive, upperInclusive, pageSize);
    }

    /** Pages through the sink's ids lazily. */
    final class Cursor {
        private final String upper;
        private final int pageSize;
        private final Deque<String> buffer = new ArrayDeque<>();
        private String after;
        private boolean exhausted;

        private Cursor(String after, String upper, int pageSize) {
            this.after = after;
            this.upper = upper;
            this.pageSize = pageSize;
        }

        /**
         * @param hi  the highest id to take, null for no bound but the cursor's own
         * @param max the most ids to take
         * @return the next ids up to {@code hi}, ascending
         */
        List<String> take(String hi, int max) throws Exception {
            List<String> out = new ArrayList<>();
            while (out.size() < max) {
                if (buffer.isEmpty()) {
                    if (exhausted) {
                        break;
                    }
                    fill();
                    continue;
                }
                String next = buffer.peekFirst();
                if (hi != null && next.compareTo(hi) > 0) {
                    break;
                }
                out.add(buffer.pollFirst());
            }
            return out;
        }

        private void fill() throws Exception {
            List<String> page = idsAfter(after, pageSize);
            if (page.size() < pageSize) {
                exhausted = true;
            }
            for (String id : page) {
                if (upper != null && id.compareTo(upper) > 0) {
                    exhausted = true;
                    break;
                }
                buffer.addLast(id);
            }
            if (!page.isEmpty()) {
                after = page.get(page.size() - 1);
            }
        }
    }
}
