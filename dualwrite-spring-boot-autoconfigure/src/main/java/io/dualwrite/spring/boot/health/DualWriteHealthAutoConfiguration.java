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

import io.dualwrite.DualWriter;
import io.dualwrite.spring.boot.DualWriteAutoConfiguration;
import io.dualwrite.spring.boot.DualWriters;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Registers the {@code dualwrite} health contributor: one {@link DualWriteHealthIndicator} per entity type
 * ({@code /actuator/health/dualwrite/<type>}). On when Actuator's health support is on the classpath and the
 * application has dual writers; off with {@code management.health.dualwrite.enabled=false}.
 */
@AutoConfiguration(after = DualWriteAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(DualWriters.class)
@ConditionalOnEnabledHealthIndicator("dualwrite")
@EnableConfigurationProperties(DualWriteHealthProperties.class)
public class DualWriteHealthAutoConfiguration {

    /**
     * @param writers    the application's writers
     * @param properties {@code dualwrite.health.*}
     * @return the contributor named {@code dualwrite}, one indicator per entity type
     * @throws IllegalArgumentException naming the property when a threshold or status is invalid
     */
    @Bean
    @ConditionalOnMissingBean(name = "dualwriteHealthContributor")
    CompositeHealthContributor dualwriteHealthContributor(DualWriters writers, DualWriteHealthProperties properties) {
        Map<String, HealthIndicator> indicators = new LinkedHashMap<>();
        for (DualWriter<?> w : writers.all()) {
            indicators.put(w.entityType(), new DualWriteHealthIndicator(w, writers, properties, Clock.systemUTC()));
        }
        return CompositeHealthContributor.fromMap(indicators);
    }
}
