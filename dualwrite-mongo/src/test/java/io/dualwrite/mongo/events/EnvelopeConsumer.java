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
package io.dualwrite.mongo.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dualwrite.Change;
import io.dualwrite.events.EventEnvelope;
import io.dualwrite.events.EventEnvelopes;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.Snapshot;
import org.bson.Document;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A downstream consumer as users write one: it receives each change as the CloudEvents JSON the
 * library emits, parses it back, deduplicates by entity version per subject and applies it. It
 * records what it applied, so tests can check order and exactly-once effect. Thread-safe.
 */
public final class EnvelopeConsumer implements Sink<Document> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final EventEnvelopes<Document> envelopes = EventEnvelopes.<Document>builder().build();
    private final Map<String, Long> held = new HashMap<>();
    private final Map<String, JsonNode> state = new TreeMap<>();
    private final Map<String, List<Long>> applied = new HashMap<>();
    private final List<String> appliedIds = new ArrayList<>();
    private long duplicates;

    @Override
    public synchronized ApplyResult apply(Change<Document> change) {
        EventEnvelope e = EventEnvelope.fromJson(envelopes.envelope(change).toJson());
        long have = held.getOrDefault(e.subject(), 0L);
        if (e.entityVersion() <= have) {
            duplicates++;
            return ApplyResult.ALREADY_CURRENT;
        }
        held.put(e.subject(), e.entityVersion());
        applied.computeIfAbsent(e.subject(), k -> new ArrayList<>()).add(e.entityVersion());
        appliedIds.add(e.subject());
        if (e.data().isPresent()) {
            state.put(e.subject(), e.data().get());
        } else {
            state.remove(e.subject());
        }
        return ApplyResult.APPLIED;
    }

    /** @return versions applied to the entity, in the order applied */
    public synchronized List<Long> applied(String id) {
        return List.copyOf(applied.getOrDefault(id, List.of()));
    }

    /** @return events received again after their version had been applied (harmless redeliveries) */
    public synchronized long duplicates() {
        return duplicates;
    }

    /** @return events applied in all */
    public synchronized int appliedCount() {
        return appliedIds.size();
    }

    /** @return ids of live entities held */
    public synchronized List<String> liveIds() {
        return List.copyOf(state.keySet());
    }

    /** @return the held version of an id */
    public synchronized Optional<Long> version(String id) {
        return Optional.ofNullable(held.get(id));
    }

    /** Asserts the consumer holds exactly the primary's live entities at their versions and states. */
    public void assertEquals(PrimaryStore<Document> primary) {
        List<String> live = new ArrayList<>();
        String after = null;
        List<Snapshot<Document>> page;
        while (!(page = primary.scan(after, 200)).isEmpty()) {
            for (Snapshot<Document> s : page) {
                after = s.id();
                if (s.deleted()) {
                    synchronized (this) {
                        assertFalse(state.containsKey(s.id()), "the consumer dropped deleted " + s.id());
                    }
                    continue;
                }
                live.add(s.id());
                synchronized (this) {
                    org.junit.jupiter.api.Assertions.assertEquals(s.version(), held.getOrDefault(s.id(), -1L),
                            "the consumer holds the primary's version of " + s.id());
                    org.junit.jupiter.api.Assertions.assertEquals(JSON.valueToTree(s.state().orElseThrow()),
                            state.get(s.id()), "the consumer holds the primary's state of " + s.id());
                }
            }
        }
        org.junit.jupiter.api.Assertions.assertEquals(live, liveIds(), "the consumer holds exactly the primary's live ids");
    }

    /** Asserts that every entity's applied versions only ever grew. */
    public synchronized void assertPerEntityOrder() {
        for (Map.Entry<String, List<Long>> e : applied.entrySet()) {
            List<Long> v = e.getValue();
            for (int i = 1; i < v.size(); i++) {
                assertTrue(v.get(i) > v.get(i - 1), "versions of " + e.getKey() + " applied in order: " + v);
            }
        }
    }
}
