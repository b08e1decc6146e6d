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

import io.dualwrite.DualWriteException;

import java.util.Objects;

/**
 * A reconciliation run stopped on an error (a sink or the primary could not be read, a store
 * could not be written). An applied run keeps its checkpoint: starting the same scope again
 * resumes after the last finished chunk. The failed run's report is in {@link #report()}.
 */
public class ReconcileException extends DualWriteException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /** Serialized with the exception: its {@code report}. */
    private final transient ReconcileReport report;

    /**
     * @param message what went wrong
     * @param report  the report of the failed run, not null
     * @param cause   the underlying failure, may be null
     */
    public ReconcileException(String message, ReconcileReport report, Throwable cause) {
        super(message, Objects.requireNonNull(report, "report").entityType(), null, cause);
        this.report = report;
    }

    /** @return the failed run's report (status {@link RunStatus#FAILED}) */
    public ReconcileReport report() {
        return report;
    }
}
