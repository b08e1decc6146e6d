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
 * Thrown when a later execution of the same reconciliation run took the run over while this one was finishing it:
 * another instance resumed the run from its checkpoint, or an operator {@linkplain Reconciler#abandon abandoned} it.
 * An applied run that went over its whole scope throws it, and so does {@link Reconciler#abandon} when another
 * execution claimed the run after it. The later execution's report stands, or replaces this one's once that
 * execution stores one (until then the audit log may still show this one's), and the checkpoint, if one is left, is
 * that execution's. Unlike a cancellation a {@link ReconcileListener} asks for, the execution that threw it cannot
 * go on with the run: it is someone else's now (a new {@code apply} or {@code abandon} is a new execution).
 */
public class ReconcileTakenOverException extends ReconcileCancelledException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /**
     * @param message which run, which execution, and why its report was not stored
     */
    public ReconcileTakenOverException(String message) {
        super(message);
    }
}
