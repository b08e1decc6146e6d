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

/**
 * Forwards every call a store must implement; tests override the one they want to watch or break. {@code report} is
 * left to the SPI's default (a store written without it), unless a subclass forwards it too.
 */
class DelegatingReconcileStore implements ReconcileStore {
    final ReconcileStore delegate;

    DelegatingReconcileStore(ReconcileStore delegate) {
        this.delegate = delegate;
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
