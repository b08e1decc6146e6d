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

/**
 * A {@link Reconciler#abandon} that claimed the run but whose reconcile store then failed (storing the abandon's
 * report, ending the run's checkpoint, or reading back what stands): the abandon may or may not have taken effect.
 * Resolve it by state, not by abandoning again blindly: {@link Reconciler#unfinished} shows the run while it can still
 * be resumed (an abandon again then drops it), and an empty result means no run of the scope is left to resume.
 * {@link #report()} is the report this abandon meant to store. Immutable.
 */
public class ReconcileAbandonUnconfirmedException extends ReconcileException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /**
     * @param message which run, which execution, and which store step failed
     * @param report  the report the abandon meant to store, not null
     * @param cause   the store's failure
     */
    public ReconcileAbandonUnconfirmedException(String message, ReconcileReport report, Throwable cause) {
        super(message, report, cause);
    }
}
