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
package io.dualwrite.reconcile;

import io.dualwrite.spi.ReconcileCheckpoint;
import io.dualwrite.spi.ReconcileStore;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Forwards every call; tests override the one they want to watch or break. Built with {@code defaultLookups}, it
 * leaves {@code report} and {@code claimResume} to the SPI's defaults (a store written without them).
 */
class DelegatingReconcileStore implements ReconcileStore {
    final ReconcileStore delegate;
    private final boolean defaultLookups;

    DelegatingReconcileStore(ReconcileStore delegate) {
        this(delegate, false);
    }

    DelegatingReconcileStore(ReconcileStore delegate, boolean defaultLookups) {
        this.delegate = delegate;
        this.defaultLookups = defaultLookups;
    }

    @Override
    public Optional<ReconcileReport> report(String entityType, String runId) {
        return defaultLookups ? ReconcileStore.super.report(entityType, runId) : delegate.report(entityType, runId);
    }

    @Override
    public OptionalInt claimResume(ReconcileCheckpoint checkpoint) {
        return defaultLookups ? ReconcileStore.super.claimResume(checkpoint) : delegate.claimResume(checkpoint);
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
    public void endCheckpoint(String runKey, String runId, int resumes) {
        if (defaultLookups) {
            ReconcileStore.super.endCheckpoint(runKey, runId, resumes);
        } else {
            delegate.endCheckpoint(runKey, runId, resumes);
        }
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
}
