package io.dualwrite.testkit.explore;

import io.dualwrite.Change;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;

import java.util.concurrent.TimeoutException;

/**
 * A sink seen by one instance of a schedule: a step point before every call (and, for a late
 * call, another one before it lands), the poisoned entity refused every time, the schedule's faults
 * (a failure before applying, a reply lost after applying), and every change it applied recorded
 * for the checks.
 *
 * @param <T> the entity type
 */
final class InterceptedSink<T> implements Sink<T> {
    private final Sink<T> delegate;
    private final Run<T> run;
    private final Run<T>.Node node;
    private final String name;

    InterceptedSink(Sink<T> delegate, Run<T> run, Run<T>.Node node, String name) {
        this.delegate = delegate;
        this.run = run;
        this.node = node;
        this.name = name;
    }

    @Override
    public ApplyResult apply(Change<T> change) throws Exception {
        String what = name + ".apply " + change.id() + "@" + change.version() + (change.isDelete() ? " delete" : "");
        Sched.step(node.name + " " + what);
        refusePoison(change);
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
        ApplyResult r = delegate.apply(change);
        run.history.applied(new History.Applied<>(run.step(), node.name, name, change.id(), change.version(),
                change.isDelete(), History.stateOf(change), r));
        if (lost) {
            run.trace.note("fault: " + name + " applied " + change.idempotencyKey() + " (" + r + ") but the reply is lost");
            run.history.sinkFault(name, run.step());
            throw new TimeoutException("injected: the reply of " + name + " was lost");
        }
        return r;
    }

    @Override
    public void validate(Change<T> change) throws Exception {
        refusePoison(change);
        delegate.validate(change);
    }

    private void refusePoison(Change<T> change) {
        Run.Profile p = run.profile;
        if (!name.equals(p.poisonSink) || !change.id().equals(p.poisonId)) {
            return;
        }
        switch (p.poisonKind) {
            case REJECTION:
                throw new SinkException("injected: " + name + " rejects " + change.id() + " every time",
                        ErrorKind.PERMANENT, null);
            case ERROR_IN_MAPPING:
                throw new AssertionError("injected: the mapping of " + change.id() + " for " + name + " fails");
            default:
                throw new NullPointerException("injected: the mapping of " + change.id() + " for " + name
                        + " met a null");
        }
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
