package io.dualwrite.testkit;

import io.dualwrite.Change;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.spi.Sink;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A sink that forwards every call to another one: extend it and override the calls a test wants
 * to watch or disturb. It is reconcilable whenever the wrapped sink is; the listing methods throw
 * {@link UnsupportedOperationException} otherwise. Thread-safe if the wrapped sink is and the
 * overrides are.
 *
 * @param <T> the entity type
 */
public class ForwardingSink<T> implements ReconcilableSink<T> {
    private final Sink<T> delegate;

    /** @param delegate the sink to forward to, not null */
    public ForwardingSink(Sink<T> delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** @return the wrapped sink */
    public Sink<T> delegate() {
        return delegate;
    }

    /** @return true when the wrapped sink is a {@link ReconcilableSink} */
    public boolean reconcilable() {
        return delegate instanceof ReconcilableSink;
    }

    @Override
    public ApplyResult apply(Change<T> change) throws Exception {
        return delegate.apply(change);
    }

    @Override
    public List<BatchItem> applyAll(List<Change<T>> changes) {
        return delegate.applyAll(changes);
    }

    @Override
    public void validate(Change<T> change) throws Exception {
        delegate.validate(change);
    }

    @Override
    public ErrorClassifier classifier() {
        return delegate.classifier();
    }

    /** @throws UnsupportedOperationException when the wrapped sink is not a {@link ReconcilableSink} */
    @Override
    public Map<String, Long> versionsOf(Collection<String> ids) throws Exception {
        return asReconcilable().versionsOf(ids);
    }

    /** @throws UnsupportedOperationException when the wrapped sink is not a {@link ReconcilableSink} */
    @Override
    public List<String> idsAfter(String afterExclusive, int limit) throws Exception {
        return asReconcilable().idsAfter(afterExclusive, limit);
    }

    private ReconcilableSink<T> asReconcilable() {
        if (!reconcilable()) {
            throw new UnsupportedOperationException("the wrapped sink " + delegate.getClass().getName()
                    + " is not a ReconcilableSink");
        }
        return (ReconcilableSink<T>) delegate;
    }
}
