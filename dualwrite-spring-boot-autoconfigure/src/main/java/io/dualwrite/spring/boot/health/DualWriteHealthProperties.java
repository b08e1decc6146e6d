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
package io.dualwrite.spring.boot.health;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.time.Duration;

/**
 * {@code dualwrite.health.*}: when the {@code dualwrite} health contributor reports a problem. A sink whose circuit
 * breaker is open makes its entity type {@link #getOpenCircuitStatus() open-circuit-status} (DOWN unless set); a
 * threshold passed makes it {@link #getThresholdStatus() threshold-status} (OUT_OF_SERVICE unless set). A threshold
 * left unset is not checked. Mutable, bound once at start.
 */
@ConfigurationProperties(prefix = "dualwrite.health")
public class DualWriteHealthProperties {
    /** The status of an entity type while one of its sinks' circuit breakers is open. */
    public static final String DEFAULT_OPEN_CIRCUIT_STATUS = "DOWN";
    /** The status of an entity type past a threshold. */
    public static final String DEFAULT_THRESHOLD_STATUS = "OUT_OF_SERVICE";

    /** Entities with pending intents above which the entity type is reported with the threshold status. */
    private Long backlogThreshold;
    /**
     * How long ago the oldest pending intent fell due (its write's time plus the grace period), above which the
     * entity type is reported with the threshold status.
     */
    private Duration oldestPendingAgeThreshold;
    /** Dead letters of one sink above which the entity type is reported with the threshold status. */
    private Long deadLetterThreshold;
    /** Health status of an entity type while a circuit breaker of one of its sinks is open. */
    private String openCircuitStatus = DEFAULT_OPEN_CIRCUIT_STATUS;
    /** Health status of an entity type past one of the thresholds. */
    private String thresholdStatus = DEFAULT_THRESHOLD_STATUS;

    /** @return the backlog threshold, null when not checked */
    public Long getBacklogThreshold() {
        return backlogThreshold;
    }

    /** @param backlogThreshold the backlog threshold, at least 0; default unset (not checked) */
    public void setBacklogThreshold(Long backlogThreshold) {
        this.backlogThreshold = backlogThreshold;
    }

    /** @return the oldest pending age threshold, null when not checked */
    public Duration getOldestPendingAgeThreshold() {
        return oldestPendingAgeThreshold;
    }

    /** @param oldestPendingAgeThreshold the oldest pending age threshold, not negative; default unset (not checked) */
    public void setOldestPendingAgeThreshold(Duration oldestPendingAgeThreshold) {
        this.oldestPendingAgeThreshold = oldestPendingAgeThreshold;
    }

    /** @return the dead-letter threshold per sink, null when not checked */
    public Long getDeadLetterThreshold() {
        return deadLetterThreshold;
    }

    /** @param deadLetterThreshold the dead-letter threshold per sink, at least 0; default unset (not checked) */
    public void setDeadLetterThreshold(Long deadLetterThreshold) {
        this.deadLetterThreshold = deadLetterThreshold;
    }

    /** @return the status while a circuit is open */
    public String getOpenCircuitStatus() {
        return openCircuitStatus;
    }

    /** @param openCircuitStatus the status while a circuit is open; default DOWN */
    public void setOpenCircuitStatus(String openCircuitStatus) {
        this.openCircuitStatus = openCircuitStatus;
    }

    /** @return the status past a threshold */
    public String getThresholdStatus() {
        return thresholdStatus;
    }

    /** @param thresholdStatus the status past a threshold; default OUT_OF_SERVICE */
    public void setThresholdStatus(String thresholdStatus) {
        this.thresholdStatus = thresholdStatus;
    }
}
