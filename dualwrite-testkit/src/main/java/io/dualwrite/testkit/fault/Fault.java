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
package io.dualwrite.testkit.fault;

/**
 * The kinds of fault a {@link FaultySink} injects; its counters are kept per kind.
 * Thread-safe (an enum).
 */
public enum Fault {
    /** One of the next N calls failed on purpose. */
    FAIL_NEXT,
    /** A call failed by chance, before reaching the destination. */
    FAIL_RANDOM,
    /** A call was slowed down. */
    LATENCY,
    /** A call slept past the coordinator's time limit; the destination still took the change. */
    TIMEOUT,
    /** A change was delivered twice to the destination. */
    DUPLICATE,
    /** A call was held back until a later call overtook it. */
    REORDER,
    /** The destination took the change but the acknowledgement was lost (the call threw). */
    APPLY_THEN_THROW,
    /**
     * A change of a poisoned entity failed permanently: the destination rejected it, or its mapping
     * failed ({@link PoisonStage}).
     */
    POISON
}
