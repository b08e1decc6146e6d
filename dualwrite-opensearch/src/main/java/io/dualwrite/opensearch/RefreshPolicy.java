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
package io.dualwrite.opensearch;

/**
 * When a write becomes visible to searches, as the {@code refresh} parameter of a bulk request.
 * Reads by id ({@code versionsOf}, the version guard itself) are real-time whatever the policy;
 * only searches (and {@code idsAfter}) wait for a refresh. Thread-safe (an enum).
 */
public enum RefreshPolicy {
    /** Do not refresh: visible after the index's next periodic refresh (default, cheapest). */
    NONE(null),
    /** Wait until a periodic refresh has made the write visible before answering. */
    WAIT_FOR("wait_for"),
    /** Refresh the affected shards at once (costly; for tests and tiny indexes). */
    IMMEDIATE("true");

    private final String parameter;

    RefreshPolicy(String parameter) {
        this.parameter = parameter;
    }

    /** @return the value of the {@code refresh} request parameter, or null to send none */
    public String parameter() {
        return parameter;
    }
}
