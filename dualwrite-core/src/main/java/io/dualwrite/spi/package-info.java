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
 * Extension points. Sink modules and users implement {@link io.dualwrite.spi.Sink} (and
 * {@link io.dualwrite.spi.ReconcilableSink} where the destination can list what it holds);
 * primary adapters implement {@link io.dualwrite.spi.PrimaryStore}; durable dead-letter stores
 * implement {@link io.dualwrite.spi.DeadLetterStore}; reconciliation keeps checkpoints and reports
 * in a {@link io.dualwrite.spi.ReconcileStore}; a sink that can summarise an id range implements
 * {@link io.dualwrite.spi.DigestingSink}, and one that can digest the content it holds, to find
 * drift at equal versions, {@link io.dualwrite.spi.ContentDigestingSink}. Each interface's javadoc
 * states the guarantees an implementation must keep; the testkit's contract tests prove them.
 */
package io.dualwrite.spi;
