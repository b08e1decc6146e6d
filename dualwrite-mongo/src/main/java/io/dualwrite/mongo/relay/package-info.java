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
 * The change-stream relay: tails an entity collection's change stream and brings the writer's
 * sinks to each changed entity's current state, with a resume token checkpointed after every
 * batch together with the changes that wait for another attempt (bounded, with backoff, then
 * dead-lettered), a recorded gap and a scoped resync when the resume point is lost, and replay
 * from a checkpoint or a point in time. See {@link io.dualwrite.mongo.relay.ChangeStreamRelay}.
 */
package io.dualwrite.mongo.relay;
