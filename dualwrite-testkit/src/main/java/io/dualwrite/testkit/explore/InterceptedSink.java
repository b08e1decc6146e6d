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
import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.MappingSink;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;

import java.util.concurrent.TimeoutException;

/**
 * A sink seen by one instance of a schedule: the poisoned entity refused every time (a rejection
 * when sent, or an {@link Error} or a {@link NullPointerException} in mapping), a step point before
 * every send (and, for a late call, another one before it lands), the schedule's faults (a failure
 * before applying, a reply lost after applying), and every change it applied recorded for the
 * checks. The wrapped sink's own mapping stage, if it has one, runs in this sink's.
 *
 * @param <T> the entity type
 */
final class InterceptedSink<T> implements MappingSink<T, Object> {
    private final Sink<T> delegate;
    private final MappingSink<T, Object> mapping;
    private final Run<T> run;
    private final Run<T>.Node node;
    private final String name;

    @SuppressWarnings("unchecked")
    InterceptedSink(Sink<T> delegate, Run<T> run, Run<T>.Node node, String name) {
        this.delegate = delegate;
        this.mapping = delegate instanceof MappingSink ? (MappingSink<T, Object>) delegate : null;
        this.run = run;
        this.node = node;
        this.name = name;
    }

    @Override
    public Object map(Change<T> change) throws Exception {
        Run.Profile p = run.profile;
        if (isPoisoned(change)) {
            if (p.poisonKind == Run.PoisonKind.ERROR_IN_MAPPING) {
                throw new AssertionError("injected: the mapping of " + change.id() + " for " + name + " fails");
            }
            if (p.poisonKind == Run.PoisonKind.NPE_IN_MAPPING) {
                throw new NullPointerException("injected: the mapping of " + change.id() + " for " + name
                        + " met a null");
            }
        }
        return mapping != null ? mapping.map(change) : change;
    }

    @Override
    public ApplyResult send(Change<T> change, Object request) throws Exception {
        String what = name + ".apply " + change.id() + "@" + change.version() + (change.isDelete() ? " delete" : "");
        Sched.step(node.name + " " + what);
        if (isPoisoned(change)) {
            throw new SinkException("injected: " + name + " rejects " + change.id() + " every time",
                    ErrorKind.PERMANENT, null);
        }
        boolean faults = run.faultsActive();
        Run.Profile p = run.profile;
        if (faults && p.sinkFailurePct > 0 && run.choices.chance(p.sinkFailurePct)) {
            run.trace.note("fault: " + name + " fails before applying " + change.idempotencyKey());
            run.history.sinkFault(name, run.step());
            throw new SinkException("injected: " + name + " is unavailable", ErrorKind.TRANSIENT, null);
        }
        boolean lost = faults && p.sinkLostReplyPct > 0 && run.choices.chance(p.sinkLostReplyPct);
        if (faults && p.sinkLatePct > 0 && run.choices.chance(p.sinkLatePct)) {
            run.trace.note("fault: " + name + " is slow; " + change.idempotencyKey() + " lands later");
            Sched.step(node.name + " " + name + " lands " + change.id() + "@" + change.version());
        }
        History.Call<T> calling = node.calling;
        if (calling != null && calling.id.equals(change.id())) {
            calling.sinksCalled.add(name);
        }
        ApplyResult r = mapping != null ? mapping.send(change, request) : delegate.apply(change);
        run.history.applied(new History.Applied<>(run.step(), node.name, name, change.id(), change.version(),
                change.isDelete(), History.stateOf(change), r));
        if (lost) {
            run.trace.note("fault: " + name + " applied " + change.idempotencyKey() + " (" + r + ") but the reply is lost");
            run.history.sinkFault(name, run.step());
            throw new TimeoutException("injected: the reply of " + name + " was lost");
        }
        return r;
    }

    /** @return true when the change is the poisoned entity's at this sink */
    private boolean isPoisoned(Change<T> change) {
        Run.Profile p = run.profile;
        return name.equals(p.poisonSink) && change.id().equals(p.poisonId);
    }

    @Override
    public ErrorClassifier classifier() {
        return delegate.classifier();
    }

    @Override
    public String toString() {
        return delegate + " seen by " + node.name;
    }
}
