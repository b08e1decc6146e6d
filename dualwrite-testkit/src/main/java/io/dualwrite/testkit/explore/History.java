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
package io.dualwrite.testkit.explore;

import io.dualwrite.Change;
import io.dualwrite.WriteResult;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Snapshot;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything one schedule did that the checks judge: the primary's states as observed after every
 * step that wrote to it, every operation of the writers with its outcome, every change a sink
 * applied, and the faults injected. Written by one actor at a time; synchronized for visibility.
 *
 * @param <T> the entity type
 */
final class History<T> {

    /** What the primary held for an id after a step. */
    enum Kind { LIVE, TOMBSTONE, ABSENT }

    /** One observation of the primary. */
    record Obs<T>(int step, Kind kind, long version, T state) {
        boolean sameAs(Obs<T> o, EntityModel<T> model) {
            if (kind != o.kind || version != o.version) {
                return false;
            }
            return kind != Kind.LIVE || model.sameContent(state, o.state);
        }

        String describe(EntityModel<T> model) {
            switch (kind) {
                case LIVE:
                    return "v" + version + " " + model.tagOf(state) + " " + state;
                case TOMBSTONE:
                    return "v" + version + " deleted";
                default:
                    return "absent";
            }
        }
    }

    /** One operation of a writer and its outcome. */
    static final class Call<T> {
        final int step;
        final String actor;
        final String op;
        final String id;
        final String tag;
        final T state;
        final String requestKey;
        final Long expectedVersion;
        final boolean retry;
        int endStep;
        WriteResult result;
        Throwable error;
        Throwable callerWriteError;
        final Set<String> sinksCalled = new HashSet<>();

        Call(int step, String actor, String op, String id, String tag, T state, String requestKey,
             Long expectedVersion, boolean retry) {
            this.step = step;
            this.actor = actor;
            this.op = op;
            this.id = id;
            this.tag = tag;
            this.state = state;
            this.requestKey = requestKey;
            this.expectedVersion = expectedVersion;
            this.retry = retry;
        }

        boolean isDelete() {
            return "delete".equals(op);
        }

        String describe() {
            StringBuilder sb = new StringBuilder(actor).append(' ').append(op).append(' ').append(id);
            if (!isDelete()) {
                sb.append(' ').append(tag);
            }
            if (requestKey != null) {
                sb.append(" key=").append(requestKey);
            }
            if (expectedVersion != null) {
                sb.append(" expected=v").append(expectedVersion);
            }
            if (retry) {
                sb.append(" (retry)");
            }
            return sb.toString();
        }
    }

    /** One change a sink applied (or found current). */
    record Applied<T>(int step, String node, String sink, String id, long version, boolean delete, T state,
                      ApplyResult result) {
    }

    private final EntityModel<T> model;
    private final Map<String, List<Obs<T>>> observed = new LinkedHashMap<>();
    private final List<Call<T>> calls = new ArrayList<>();
    private final List<Applied<T>> applied = new ArrayList<>();
    private final Map<String, Integer> sinkFaults = new HashMap<>();
    private final Map<String, Integer> firstSinkFaultStep = new HashMap<>();
    private final List<String> recoveryErrors = new ArrayList<>();

    History(EntityModel<T> model) {
        this.model = model;
    }

    /** Records what the primary holds for an id now, if it differs from the last observation. */
    synchronized void observe(int step, String id, Snapshot<T> s) {
        Obs<T> obs = s == null ? new Obs<>(step, Kind.ABSENT, 0, null)
                : new Obs<>(step, s.deleted() ? Kind.TOMBSTONE : Kind.LIVE, s.version(), s.state().orElse(null));
        List<Obs<T>> list = observed.computeIfAbsent(id, k -> new ArrayList<>());
        if (list.isEmpty() || !list.get(list.size() - 1).sameAs(obs, model)) {
            list.add(obs);
        }
    }

    synchronized List<Obs<T>> observations(String id) {
        return List.copyOf(observed.getOrDefault(id, List.of()));
    }

    synchronized Set<String> observedIds() {
        return Set.copyOf(observed.keySet());
    }

    synchronized void call(Call<T> call) {
        calls.add(call);
    }

    synchronized List<Call<T>> calls() {
        return List.copyOf(calls);
    }

    synchronized void applied(Applied<T> a) {
        applied.add(a);
    }

    synchronized List<Applied<T>> applied() {
        return List.copyOf(applied);
    }

    /** A fault that was not the entity's own (a transient failure, a lost reply) struck a sink. */
    synchronized void sinkFault(String sink, int step) {
        sinkFaults.merge(sink, 1, Integer::sum);
        firstSinkFaultStep.putIfAbsent(sink, step);
    }

    /** @return the first step at which a sink suffered a fault that was not the entity's own, or -1 */
    synchronized int firstSinkFault(String sink) {
        return firstSinkFaultStep.getOrDefault(sink, -1);
    }

    synchronized void recoveryError(String text) {
        recoveryErrors.add(text);
    }

    synchronized List<String> recoveryErrors() {
        return List.copyOf(recoveryErrors);
    }

    /** @return the observation of an id at a version, if one was made */
    synchronized Obs<T> at(String id, long version) {
        for (Obs<T> o : observed.getOrDefault(id, List.of())) {
            if (o.kind != Kind.ABSENT && o.version == version) {
                return o;
            }
        }
        return null;
    }

    @Override
    public synchronized String toString() {
        return Objects.toString(observed);
    }

    /** @return a change's content, for the checks */
    static <T> T stateOf(Change<T> change) {
        return change.state().orElse(null);
    }
}
