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

import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.RequiredSinkFailedException;
import io.dualwrite.SinkOutcome;
import io.dualwrite.VersionConflictException;
import io.dualwrite.WriteResult;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.testkit.convergence.SinkView;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Judges one schedule from its {@link History}, after healing: each check is one promise, and a
 * broken one is a line that says what happened, at which step, to which write.
 *
 * @param <T> the entity type
 */
final class Oracle<T> {
    private final Run<T> run;
    private final ExplorerWorld<T> world;
    private final DualWriter<T> writer;
    private final History<T> history;
    private final EntityModel<T> model;
    private final List<String> violations = new ArrayList<>();

    Oracle(Run<T> run, ExplorerWorld<T> world, DualWriter<T> writer) {
        this.run = run;
        this.world = world;
        this.writer = writer;
        this.history = run.history;
        this.model = run.model();
    }

    List<String> check() {
        writesCommitOnce();
        acknowledgedWritesHoldTheirVersion();
        failuresSayWhatHappened();
        compensationsRestoreTheBeforeImage();
        sinksHoldOnlyCommittedStates();
        sinksNeverMoveBackwards();
        poisonNeverOpensACircuit();
        backlogDrains();
        sinksConverge();
        onlyPoisonIsDeadLettered();
        return violations;
    }

    private void violation(String promise, String detail) {
        violations.add("[" + promise + "] " + detail);
    }

    // ------------------------------------------------------------------ the primary's history

    /** Every write is applied at most once: a write's content appears as a new version once (compensations aside). */
    private void writesCommitOnce() {
        List<History.Call<T>> compensated = compensatedCalls();
        Set<String> undone = new HashSet<>();
        for (History.Call<T> c : compensated) {
            RequiredSinkFailedException e = (RequiredSinkFailedException) c.error;
            // undone, or perhaps undone (the compensation's reply was lost): a retry may commit it again
            if (e.compensationVersion().isPresent() || e.compensationOutcomeUnknown()) {
                undone.add(c.id + "@" + e.failedVersion());
            }
        }
        for (String id : history.observedIds()) {
            Map<String, List<Long>> commits = new LinkedHashMap<>();
            History.Obs<T> previous = null;
            for (History.Obs<T> o : history.observations(id)) {
                if (o.kind() == History.Kind.LIVE && (previous == null || o.version() != previous.version())
                        && !isCompensation(compensated, id, o) && !undone.contains(id + "@" + o.version())) {
                    commits.computeIfAbsent(model.tagOf(o.state()), k -> new ArrayList<>()).add(o.version());
                }
                if (o.kind() == History.Kind.TOMBSTONE && previous != null
                        && previous.kind() == History.Kind.TOMBSTONE && o.version() > previous.version()) {
                    violation("a write is applied once", id + " was deleted twice: tombstone v" + previous.version()
                            + " then v" + o.version() + " (step " + o.step() + ")");
                }
                if (o.kind() != History.Kind.ABSENT) {
                    previous = o;
                }
            }
            commits.forEach((tag, versions) -> {
                if (versions.size() > 1) {
                    violation("a write is applied once", "the write " + tag + " of " + id + " was committed "
                            + versions.size() + " times, as versions " + versions + " ("
                            + describeCall(tag) + ")");
                }
            });
        }
    }

    /** @return true when the observation is a compensation's: an older content written back during a failed REQUIRED write */
    /** @return the calls whose write was compensated (their REQUIRED sink failed) */
    private List<History.Call<T>> compensatedCalls() {
        List<History.Call<T>> out = new ArrayList<>();
        for (History.Call<T> c : history.calls()) {
            if (c.error instanceof RequiredSinkFailedException) {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * @return whether an observation is a compensation's commit: the before-image that a call of
     *         other content wrote back, at the version its exception names, or, when its outcome is
     *         unknown (the reply was lost: it may land at any later step), at the one version it
     *         could take (the failed write's, plus one: it is conditional on the failed write)
     */
    private boolean isCompensation(List<History.Call<T>> compensated, String id, History.Obs<T> o) {
        for (History.Call<T> c : compensated) {
            if (!c.id.equals(id) || o.step() < c.step || c.tag.equals(model.tagOf(o.state()))) {
                continue;
            }
            RequiredSinkFailedException e = (RequiredSinkFailedException) c.error;
            java.util.OptionalLong v = e.compensationVersion();
            if (v.isPresent() ? v.getAsLong() == o.version()
                    : e.compensationOutcomeUnknown() && o.version() == e.failedVersion() + 1) {
                return true;
            }
        }
        return false;
    }

    private String describeCall(String tag) {
        for (History.Call<T> c : history.calls()) {
            if (c.tag.equals(tag)) {
                return c.describe() + ", steps " + c.step + "-" + c.endStep + outcome(c);
            }
        }
        return tag.startsWith("adopted-") ? "the adopted document" : "no call";
    }

    private static String outcome(History.Call<?> c) {
        return c.result != null ? " -> " + c.result : c.error != null ? " -> threw " + Run.describe(c.error) : "";
    }

    /** A write that reports a version committed that very version, with its own content. */
    private void acknowledgedWritesHoldTheirVersion() {
        for (History.Call<T> c : history.calls()) {
            WriteResult r = c.result;
            if (r == null || !r.written() && !r.duplicate()) {
                continue;
            }
            if (!r.versionKnown()) {
                // the result says it cannot name this write's version: the version it gives must hold this write
                // or a later one
                Long own = committedWithin(c);
                if (own == null && overwrittenBeforeItsReadBack(c, r)) {
                    continue;
                }
                if (own == null || own > r.version()) {
                    violation("a result names its own write", c.describe() + " returned version " + r.version()
                            + " (not known to be its own), but its write " + (own == null ? "was never committed"
                            : "was committed later, as version " + own));
                }
                continue;
            }
            History.Obs<T> at = history.at(c.id, r.version());
            if (c.isDelete()) {
                if (at != null && at.kind() != History.Kind.TOMBSTONE) {
                    violation("a result names its own write", c.describe() + " returned version " + r.version()
                            + ", but the primary holds " + at.describe(model) + " at that version");
                }
                continue;
            }
            if (at == null || at.kind() != History.Kind.LIVE || !c.tag.equals(model.tagOf(at.state()))) {
                violation("a result names its own write", c.describe() + " (steps " + c.step + "-" + c.endStep
                        + ") returned version " + r.version() + (r.duplicate() ? " as a duplicate" : "")
                        + ", but the primary " + (at == null ? "never held that version"
                        : "held " + at.describe(model) + " at that version"));
            }
        }
    }

    /** A call that failed tells the truth: an error that says "nothing was written" comes with nothing written. */
    private void failuresSayWhatHappened() {
        for (History.Call<T> c : history.calls()) {
            if (c.error == null || c.isDelete()) {
                continue;
            }
            Long committedAs = committedWithin(c);
            if (committedAs == null) {
                continue;
            }
            Throwable e = c.error;
            boolean unknown = e instanceof PrimaryWriteException
                    && ((PrimaryWriteException) e).kind() == ErrorKind.UNKNOWN_OUTCOME;
            if (unknown || e instanceof RequiredSinkFailedException || e == c.callerWriteError) {
                continue;
            }
            String says = e instanceof VersionConflictException || e instanceof PrimaryWriteException
                    ? " (which says nothing was written)" : "";
            violation("a failure says what happened", c.describe() + " threw " + Run.describe(e) + says
                    + ", but its write was committed as version " + committedAs);
        }
    }

    /** @return the version at which the call's own content became the primary's during the call, or null */
    /**
     * @return whether the call's own write landed (its caller's write returned) and the version it gives holds the
     *         write of another call that was under way meanwhile: then that write landed after this one and before
     *         the read-back, so this write's content held the primary only in between, unread (no version was ever
     *         given to it), and the version given holds a later write, as a result that cannot name its own may
     */
    private boolean overwrittenBeforeItsReadBack(History.Call<T> c, WriteResult r) {
        if (c.callerWriteError != null || c.isDelete()) {
            return false;
        }
        History.Obs<T> at = history.at(c.id, r.version());
        if (at == null || at.kind() != History.Kind.LIVE) {
            return false;
        }
        String tag = model.tagOf(at.state());
        for (History.Call<T> other : history.calls()) {
            if (other != c && other.id.equals(c.id) && other.tag.equals(tag) && other.step <= c.endStep) {
                return true;
            }
        }
        return false;
    }

    private Long committedWithin(History.Call<T> c) {
        List<History.Call<T>> compensated = compensatedCalls();
        for (History.Obs<T> o : history.observations(c.id)) {
            // another call's compensation may write back this call's content (an earlier commit of it): not its own
            if (o.kind() == History.Kind.LIVE && o.step() >= c.step && o.step() <= c.endStep
                    && c.tag.equals(model.tagOf(o.state())) && !isCompensation(compensated, c.id, o)) {
                return o.version();
            }
        }
        return null;
    }

    /** Compensation writes back exactly what the primary held before the failed write. */
    private void compensationsRestoreTheBeforeImage() {
        for (History.Call<T> c : history.calls()) {
            if (!(c.error instanceof RequiredSinkFailedException)) {
                continue;
            }
            RequiredSinkFailedException e = (RequiredSinkFailedException) c.error;
            if (e.compensationVersion().isEmpty()) {
                if (e.compensationOutcomeUnknown()) {
                    continue; // it says it cannot tell: either outcome is the truth
                }
                History.Obs<T> before = beforeImage(c.id, e.failedVersion());
                for (History.Obs<T> o : history.observations(c.id)) {
                    if (before != null && before.kind() == History.Kind.LIVE && o.kind() == History.Kind.LIVE
                            && o.version() > e.failedVersion() && o.step() >= c.step && o.step() <= c.endStep
                            && model.sameContent(before.state(), o.state())) {
                        violation("a failure says what happened", c.describe() + " threw " + Run.describe(e)
                                + " saying it was not compensated, but during the call the primary committed "
                                + "the before-image again as " + o.describe(model));
                        break;
                    }
                }
                continue;
            }
            long cv = e.compensationVersion().getAsLong();
            List<History.Obs<T>> obs = history.observations(c.id);
            History.Obs<T> before = null;
            History.Obs<T> compensated = null;
            for (int i = 0; i < obs.size(); i++) {
                History.Obs<T> o = obs.get(i);
                if (o.kind() != History.Kind.ABSENT && o.version() == e.failedVersion() && before == null) {
                    before = i == 0 ? null : obs.get(i - 1);
                    if (before == null) {
                        before = new History.Obs<>(0, History.Kind.ABSENT, 0, null);
                    }
                }
                if (o.kind() != History.Kind.ABSENT && o.version() == cv) {
                    compensated = o;
                }
            }
            if (before == null || compensated == null) {
                continue;
            }
            boolean restored = before.kind() == History.Kind.LIVE
                    ? compensated.kind() == History.Kind.LIVE && model.sameContent(before.state(), compensated.state())
                    : compensated.kind() == History.Kind.TOMBSTONE;
            if (!restored) {
                violation("compensation restores the before-image", c.describe() + " failed at its REQUIRED sink "
                        + e.sink() + "; before it the primary held " + before.describe(model)
                        + ", but the compensation committed " + compensated.describe(model));
            }
        }
    }

    /** @return what the primary held just before the version, ABSENT if nothing; null if the version was never observed */
    private History.Obs<T> beforeImage(String id, long version) {
        List<History.Obs<T>> obs = history.observations(id);
        for (int i = 0; i < obs.size(); i++) {
            History.Obs<T> o = obs.get(i);
            if (o.kind() != History.Kind.ABSENT && o.version() == version) {
                return i == 0 ? new History.Obs<>(0, History.Kind.ABSENT, 0, null) : obs.get(i - 1);
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ the sinks

    /** A sink only ever applies a version with the content the primary committed at that version. */
    private void sinksHoldOnlyCommittedStates() {
        for (History.Applied<T> a : history.applied()) {
            if (a.result() != ApplyResult.APPLIED) {
                continue;
            }
            History.Obs<T> at = history.at(a.id(), a.version());
            boolean ok;
            if (a.delete()) {
                ok = at == null || at.kind() == History.Kind.TOMBSTONE;
            } else {
                ok = at != null && at.kind() == History.Kind.LIVE && model.sameContent(at.state(), a.state());
            }
            if (!ok) {
                violation("no sink holds a state the primary never committed", a.sink() + " (via " + a.node()
                        + ", step " + a.step() + ") applied " + a.id() + "@" + a.version() + " "
                        + (a.delete() ? "delete" : String.valueOf(a.state())) + ", but the primary "
                        + (at == null ? "never held that version" : "held " + at.describe(model)));
            }
        }
    }

    private void sinksNeverMoveBackwards() {
        Map<String, Long> highest = new HashMap<>();
        for (History.Applied<T> a : history.applied()) {
            if (a.result() != ApplyResult.APPLIED) {
                continue;
            }
            String key = a.sink() + "/" + a.id();
            Long was = highest.get(key);
            if (was != null && a.version() < was) {
                violation("no sink moves backwards", a.sink() + " applied " + a.id() + "@" + a.version()
                        + " after v" + was + " (step " + a.step() + ")");
            }
            highest.merge(key, a.version(), Math::max);
        }
    }

    /** A healthy entity is never turned away from a sink whose only failures were the poisoned entity's. */
    private void poisonNeverOpensACircuit() {
        Run.Profile p = run.profile;
        for (History.Call<T> c : history.calls()) {
            if (c.result == null || !c.result.written()) {
                continue; // a duplicate or a delete of nothing calls no sink
            }
            for (Map.Entry<String, SinkOutcome> e : c.result.outcomes().entrySet()) {
                String sink = e.getKey();
                DeliveryPolicy policy = p.policies.get(sink);
                if (e.getValue() != SinkOutcome.DEFERRED || policy == DeliveryPolicy.ASYNC
                        || c.sinksCalled.contains(sink) || (sink.equals(p.poisonSink) && c.id.equals(p.poisonId))) {
                    continue;
                }
                int fault = history.firstSinkFault(sink);
                if (fault < 0 || fault > c.endStep) {
                    violation("a poison entity never opens a circuit", c.describe() + " (steps " + c.step + "-"
                            + c.endStep + ") was deferred at " + sink + " without calling it, although " + sink
                            + " had only ever failed on the poisoned entity " + p.poisonId);
                }
            }
        }
    }

    /** Once faults heal, nothing stays pending. */
    private void backlogDrains() {
        PrimaryStore<T> observer = world.observer();
        long pending = observer.pendingCount();
        if (pending == 0) {
            return;
        }
        List<String> left = new ArrayList<>();
        for (Snapshot<T> s : observer.scan(null, 100)) {
            if (!s.pending().isEmpty()) {
                left.add(s.id() + "@" + s.version() + " " + s.pending().values());
            }
        }
        violation("the backlog drains", pending + " entities still pending after healing: " + left
                + recoveryErrors());
    }

    private String recoveryErrors() {
        List<String> errors = history.recoveryErrors();
        return errors.isEmpty() ? "" : "; recovery passes threw " + errors.size() + " times, last: "
                + errors.get(errors.size() - 1);
    }

    /** Every sink holds exactly the primary's last committed state of every entity, or the entity is a dead letter. */
    private void sinksConverge() {
        Set<String> dead = deadLetterKeys();
        PrimaryStore<T> observer = world.observer();
        for (String sink : run.profile.policies.keySet()) {
            SinkView<T> view = world.view(sink);
            Map<String, Long> held;
            try {
                held = view.liveVersions();
            } catch (Exception e) {
                violation("convergence", "could not read " + sink + ": " + Run.describe(e));
                continue;
            }
            for (String id : run.profile.ids) {
                Optional<Snapshot<T>> s = observer.read(id);
                boolean poisoned = dead.contains(id + "#" + sink);
                Long v = held.get(id);
                if (s.isPresent() && s.get().version() == 0) {
                    continue; // an adopted document nobody wrote through the coordinator
                }
                if (s.isPresent() && !s.get().deleted()) {
                    Snapshot<T> live = s.get();
                    if (poisoned) {
                        continue;
                    }
                    if (v == null || v != live.version()) {
                        violation("convergence", sink + " holds " + (v == null ? "nothing live" : "v" + v) + " of "
                                + id + ", the primary v" + live.version() + " " + live.state().map(model::tagOf)
                                .orElse("") + recoveryErrors());
                        continue;
                    }
                    if (view.comparesState()) {
                        try {
                            Optional<T> st = view.state(id);
                            if (st.isEmpty() || !model.sameContent(st.get(), live.state().orElseThrow())) {
                                violation("convergence", sink + " holds " + id + "@" + v + " as " + st.orElse(null)
                                        + ", the primary as " + live.state().orElse(null));
                            }
                        } catch (Exception e) {
                            violation("convergence", "could not read " + id + " at " + sink + ": " + Run.describe(e));
                        }
                    }
                } else if (v != null && !poisoned) {
                    violation("convergence", sink + " holds " + id + "@" + v + " live, but the primary "
                            + s.map(x -> "deleted it at v" + x.version()).orElse("no longer holds it")
                            + recoveryErrors());
                }
            }
        }
    }

    private Set<String> deadLetterKeys() {
        Set<String> out = new HashSet<>();
        for (DeadLetter d : writer.deadLetters().list(DeadLetterQuery.builder().limit(10_000).build())) {
            out.add(d.entityId() + "#" + d.sink());
        }
        return out;
    }

    /** Only the poisoned entity goes to the dead-letter store. */
    private void onlyPoisonIsDeadLettered() {
        Run.Profile p = run.profile;
        for (DeadLetter d : writer.deadLetters().list(DeadLetterQuery.builder().limit(10_000).build())) {
            if (!d.entityId().equals(p.poisonId) || !d.sink().equals(p.poisonSink)) {
                violation("only poison is dead-lettered", d.entityId() + "@" + d.version() + " at " + d.sink()
                        + " was dead-lettered (" + d.kind() + ": " + d.lastError() + ")");
            }
        }
    }
}
