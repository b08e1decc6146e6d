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
package io.dualwrite.spring.boot;

import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.RecoveryWorker;
import org.springframework.boot.context.properties.ConfigurationProperties;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code dualwrite.*} properties. Per entity type ({@code dualwrite.entities.<type>}, the type named by its
 * {@link DualWriteSinks} bean): recovery and per-sink delivery settings. Mutable, bound once at start.
 */
@ConfigurationProperties(prefix = "dualwrite")
public class DualWriteProperties {
    /** Whether repositories marked @DualWritten write through dualwrite. */
    private boolean enabled = true;
    /** Settings per entity type, by the entity type's name. */
    private Map<String, Entity> entities = new LinkedHashMap<>();

    /** @return whether the auto-configuration is on */
    public boolean isEnabled() {
        return enabled;
    }

    /** @param enabled whether the auto-configuration is on; default true */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** @return settings per entity type */
    public Map<String, Entity> getEntities() {
        return entities;
    }

    /** @param entities settings per entity type */
    public void setEntities(Map<String, Entity> entities) {
        this.entities = entities;
    }

    /**
     * @param entityType an entity type's name
     * @return its settings, defaults if none were given
     */
    public Entity entity(String entityType) {
        return entities.getOrDefault(entityType, new Entity());
    }

    /** Settings of one entity type. */
    public static class Entity {
        /** Recovery of deliveries the synchronous path could not finish. */
        private Recovery recovery = new Recovery();
        /** Delivery settings per sink, by the sink's name. */
        private Map<String, SinkProperties> sinks = new LinkedHashMap<>();

        /** @return recovery settings */
        public Recovery getRecovery() {
            return recovery;
        }

        /** @param recovery recovery settings */
        public void setRecovery(Recovery recovery) {
            this.recovery = recovery;
        }

        /** @return settings per sink */
        public Map<String, SinkProperties> getSinks() {
            return sinks;
        }

        /** @param sinks settings per sink */
        public void setSinks(Map<String, SinkProperties> sinks) {
            this.sinks = sinks;
        }
    }

    /** Recovery settings of one entity type. */
    public static class Recovery {
        /** Whether a recovery worker runs for the entity type in this application. */
        private boolean enabled = true;
        /** Pause between recovery passes that found less than a full batch. */
        private Duration interval = RecoveryWorker.DEFAULT_INTERVAL;
        /** How old an undelivered intent must be before recovery takes it over from the write path. */
        private Duration gracePeriod = DualWriterBuilder.DEFAULT_GRACE_PERIOD;

        /** @return whether a recovery worker runs */
        public boolean isEnabled() {
            return enabled;
        }

        /** @param enabled whether a recovery worker runs; default true */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** @return the pause between passes */
        public Duration getInterval() {
            return interval;
        }

        /** @param interval the pause between passes; default 1 s */
        public void setInterval(Duration interval) {
            this.interval = interval;
        }

        /** @return the grace period */
        public Duration getGracePeriod() {
            return gracePeriod;
        }

        /** @param gracePeriod the grace period; default 30 s */
        public void setGracePeriod(Duration gracePeriod) {
            this.gracePeriod = gracePeriod;
        }
    }

    /** Delivery settings of one sink; unset values keep what the {@link DualWriteSinks} bean gave. */
    public static class SinkProperties {
        /** Delivery policy: REQUIRED, SYNC, ASYNC or SHADOW. */
        private DeliveryPolicy policy;
        /** Time limit of one attempt to deliver a change. */
        private Duration attemptTimeout;
        /** Attempts on the write path before the change is left to recovery. */
        private Integer maxAttempts;

        /** @return the delivery policy, or null to keep the bean's */
        public DeliveryPolicy getPolicy() {
            return policy;
        }

        /** @param policy the delivery policy; default the bean's (SYNC unless it says otherwise) */
        public void setPolicy(DeliveryPolicy policy) {
            this.policy = policy;
        }

        /** @return the attempt timeout, or null to keep the bean's */
        public Duration getAttemptTimeout() {
            return attemptTimeout;
        }

        /** @param attemptTimeout the attempt timeout; default the bean's (5 s unless it says otherwise) */
        public void setAttemptTimeout(Duration attemptTimeout) {
            this.attemptTimeout = attemptTimeout;
        }

        /** @return the attempts, or null to keep the bean's */
        public Integer getMaxAttempts() {
            return maxAttempts;
        }

        /** @param maxAttempts the attempts on the write path; default the bean's (3 unless it says otherwise) */
        public void setMaxAttempts(Integer maxAttempts) {
            this.maxAttempts = maxAttempts;
        }
    }
}
