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
 * The event envelope: every change published as an event (by the embedded-event relay, the
 * change-stream relay or a broker sink) wears one versioned envelope with the CloudEvents 1.0
 * attributes, the entity version and the schema version, and has a structured-mode CloudEvents
 * JSON form that any CloudEvents SDK reads. Consumers deduplicate by {@code id} and order by
 * {@code entityversion} per {@code subject}.
 */
package io.dualwrite.events;
