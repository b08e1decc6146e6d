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
 * Events recorded with the data: {@link io.dualwrite.mongo.events.EmbeddedEvents} makes the
 * MongoDB primary store append each committed write's event (with the entity's state at that
 * version) to the entity's own document in the same single-document write, and
 * {@link io.dualwrite.mongo.events.EmbeddedEventRelay} publishes every entity's events in version
 * order to event sinks, exactly once in effect, and removes them once delivered.
 */
package io.dualwrite.mongo.events;
