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
/**
 * A deterministic interleaving explorer: {@link io.dualwrite.testkit.explore.InterleavingExplorer}
 * drives the real coordinator, a real primary store and real sinks with writers on several
 * instances, recovery passes and time itself, one step at a time in an order a seed decides,
 * through lost replies, failing and slow sinks, poisoned entities, clock skew and time jumps, and
 * checks every promise against the history of each schedule. Users explore their own wiring by
 * implementing {@link io.dualwrite.testkit.explore.ExplorerWorld}.
 */
package io.dualwrite.testkit.explore;
