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

import java.io.IOException;
import java.time.Clock;

/**
 * Works in the children (started with {@link #CHILD_PROPERTY} set) and fails with a checked
 * exception in the test's JVM, where the run recovers and checks.
 */
public final class FailsInTheParentWiring implements ChaosWiring {
    /** The system property the children are started with. */
    static final String CHILD_PROPERTY = "dualwrite.test.chaos-child";

    @Override
    public Wired create(String uri, Clock clock) throws IOException {
        if (!Boolean.getBoolean(CHILD_PROPERTY)) {
            throw new IOException("the parent's stores are out of reach");
        }
        return new VolatilePrimaryWiring().create(uri, clock);
    }
}
