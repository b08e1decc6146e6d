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
package io.dualwrite.testkit.chaos;

import java.time.Clock;

/**
 * Works in the children (started with {@link FailsInTheParentWiring#CHILD_PROPERTY} set); in the test's JVM it is
 * interrupted while it wires (waiting for a connection, say) and throws {@link InterruptedException}.
 */
public final class InterruptedInTheParentWiring implements ChaosWiring {
    @Override
    public Wired create(String uri, Clock clock) throws Exception {
        if (!Boolean.getBoolean(FailsInTheParentWiring.CHILD_PROPERTY)) {
            throw new InterruptedException("interrupted while connecting to " + uri);
        }
        return new VolatilePrimaryWiring().create(uri, clock);
    }
}
