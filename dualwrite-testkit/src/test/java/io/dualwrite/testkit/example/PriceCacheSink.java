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
package io.dualwrite.testkit.example;

import io.dualwrite.Change;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.ReconcilableSink;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A user's own sink, as a user would write it: a price cache keyed by SKU that keeps the version
 * next to the price and a tombstone after a delete. Thread-safe.
 */
public final class PriceCacheSink implements ReconcilableSink<Product> {
    /** What the cache holds for one SKU; a null price is a tombstone. */
    record Entry(long version, Long cents) {
    }

    private final ConcurrentSkipListMap<String, Entry> entries = new ConcurrentSkipListMap<>();

    @Override
    public ApplyResult apply(Change<Product> change) {
        Entry next = new Entry(change.version(), change.state().map(Product::cents).orElse(null));
        Entry[] before = new Entry[1];
        entries.compute(change.id(), (sku, cur) -> {
            before[0] = cur;
            return cur != null && cur.version() >= change.version() ? cur : next;
        });
        return before[0] != null && before[0].version() >= change.version() ? ApplyResult.ALREADY_CURRENT
                : ApplyResult.APPLIED;
    }

    @Override
    public Map<String, Long> versionsOf(Collection<String> ids) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String id : ids) {
            Entry e = entries.get(id);
            if (e != null && e.cents() != null) {
                out.put(id, e.version());
            }
        }
        return out;
    }

    @Override
    public List<String> idsAfter(String afterExclusive, int limit) {
        List<String> out = new ArrayList<>();
        Map<String, Entry> tail = afterExclusive == null ? entries : entries.tailMap(afterExclusive, false);
        for (Map.Entry<String, Entry> e : tail.entrySet()) {
            if (out.size() == limit) {
                break;
            }
            if (e.getValue().cents() != null) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    /**
     * @param sku a SKU
     * @return what the cache holds for it, or null
     */
    Entry entry(String sku) {
        return entries.get(sku);
    }
}
