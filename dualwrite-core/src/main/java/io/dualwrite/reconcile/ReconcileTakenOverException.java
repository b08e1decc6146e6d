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
 * Thrown by an applied run that went over its whole scope but whose report was not stored, because a later execution
 * of the same run took it over meanwhile: another instance resumed the run from its checkpoint, or an operator
 * {@linkplain Reconciler#abandon abandoned} it. That execution's report stands, and the checkpoint, if one is left, is
 * that execution's; this one stored nothing and ended nothing. Unlike a cancellation a {@link ReconcileListener} asks
 * for, the run cannot be taken up again by this caller: it is someone else's now.
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
