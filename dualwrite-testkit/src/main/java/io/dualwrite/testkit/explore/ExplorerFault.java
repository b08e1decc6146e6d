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
package io.dualwrite.testkit.explore;

/**
 * What can go wrong in the explorer's schedules. Each schedule draws, from the enabled kinds, how
 * often each one strikes; {@link InterleavingExplorer.Builder#faults} enables a subset.
 */
public enum ExplorerFault {
    /** A primary write is applied but its reply is lost: the caller cannot tell whether it landed. */
    LOST_REPLY,
    /**
     * A primary write is held on the network: the caller's connection drops at once (it cannot
     * tell whether the write landed), and the write lands at a later step, while other actors
     * act, or never.
     */
    LATE_LANDING,
    /** A command to the primary fails before it is sent (the primary is down or unreachable). */
    PRIMARY_DOWN,
    /** A sink call fails before the sink applies anything (a transient outage). */
    SINK_FAILURE,
    /** A sink applies the change but the reply is lost (a timeout after sending). */
    SINK_LOST_REPLY,
    /** A sink call lands later than it started: other actors act between the two. */
    SINK_LATE,
    /**
     * One entity is always refused by one sink, in one of three ways: a permanent rejection, an
     * {@link Error} from the sink's mapping code, or a {@link NullPointerException} in mapping.
     */
    POISON,
    /** The instances' clocks disagree by up to several seconds. */
    CLOCK_SKEW,
    /** An instance's clock steps back during the schedule. */
    CLOCK_STEP_BACK,
    /** Time jumps past grace periods, leases and backoffs while operations are in flight. */
    TIME_JUMPS,
    /** Some ids start as documents the store never managed (an existing collection being adopted). */
    ADOPTION,
    /** One sink may be REQUIRED, so that its failures compensate writes. */
    REQUIRED_SINK,
    /** One sink may be ASYNC, delivered only by recovery. */
    ASYNC_SINK
}
