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
 * The operator's acts on a dualwrite primary, for any front end: the {@code dualwrite} command line, a Spring Boot
 * Actuator endpoint, an admin page. {@link io.dualwrite.mongo.operations.Operations} reads the backlog and leases,
 * lists, shows, replays and discards dead letters (with an audit record), and records and reads reconciliation
 * requests, all through the MongoDB database alone; what needs the application's sinks is done by the application's
 * own recovery worker and reconciliation request worker.
 */
package io.dualwrite.mongo.operations;
