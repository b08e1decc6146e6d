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
package io.dualwrite.testkit;

import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.spi.ReconcileCheckpoint;
import io.dualwrite.spi.ReconcileStore;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A reconcile store that forwards every call to another one: extend it and override the calls a
 * test wants to watch, slow down or fail (a checkpoint write that stalls past a request's lease,
 * say, or a store that is down when a run ends). Thread-safe if the wrapped store is and the
 * overrides are.
 */
public class ForwardingReconcileStore implements ReconcileStore {
    private final ReconcileStore delegate;

    /** @param delegate the store to forward to, not null */
    public ForwardingReconcileStore(ReconcileStore delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** @return the wrapped store */
    public ReconcileStore delegate() {
        return delegate;
    }

    @Override
    public Optional<ReconcileCheckpoint> checkpoint(String runKey) {
        return delegate.checkpoint(runKey);
    }

    @Override
    public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
        delegate.saveCheckpoint(checkpoint);
    }

    @Override
    public OptionalInt claimResume(ReconcileCheckpoint checkpoint) {
        return delegate.claimResume(checkpoint);
    }

    @Override
    public void endCheckpoint(String runKey, String runId, int resumes) {
        delegate.endCheckpoint(runKey, runId, resumes);
    }

    @Override
    public void clearCheckpoint(String runKey) {
        delegate.clearCheckpoint(runKey);
    }

    @Override
    public void saveReport(ReconcileReport report) {
        delegate.saveReport(report);
    }

    @Override
    public List<ReconcileReport> reports(String entityType, int limit) {
        return delegate.reports(entityType, limit);
    }

    @Override
    public Optional<ReconcileReport> report(String entityType, String runId) {
        return delegate.report(entityType, runId);
    }
}
