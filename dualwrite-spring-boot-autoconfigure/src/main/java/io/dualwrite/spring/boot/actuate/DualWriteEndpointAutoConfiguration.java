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
package io.dualwrite.spring.boot.actuate;

import io.dualwrite.mongo.operations.Operations;
import io.dualwrite.spring.boot.DualWriteAutoConfiguration;
import io.dualwrite.spring.boot.DualWriteSinks;
import io.dualwrite.spring.boot.DualWriters;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.data.mongodb.core.MongoTemplate;

/**
 * Configures the {@link DualWriteEndpoint} where the application has Spring Boot Actuator on its classpath and the
 * endpoint is available: enabled (it is by default; {@code management.endpoint.dualwrite.access=none} turns it off)
 * and exposed over some technology ({@code management.endpoints.web.exposure.include=dualwrite} for HTTP; Actuator
 * exposes nothing but health over the web unless told). Thread-safe (a configuration).
 */
@AutoConfiguration(after = DualWriteAutoConfiguration.class)
@ConditionalOnClass({Endpoint.class, ConditionalOnAvailableEndpoint.class, Operations.class, MongoTemplate.class})
public class DualWriteEndpointAutoConfiguration {

    /**
     * @param template the application's template: its database, and the collection of each entity class
     * @param sinks    the application's sinks per entity class, for the entity types' collections
     * @param writers  the application's writers, which replay dead letters at once
     * @return the endpoint
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(MongoTemplate.class)
    @ConditionalOnAvailableEndpoint
    DualWriteEndpoint dualWriteEndpoint(MongoTemplate template, ObjectProvider<DualWriteSinks<?>> sinks,
                                        ObjectProvider<DualWriters> writers) {
        Operations.Builder ops = Operations.builder(template.getDb());
        for (DualWriteSinks<?> s : sinks.orderedStream().toList()) {
            String collection = template.getCollectionName(s.entityClass());
            ops.entity(s.entityType().orElse(collection), collection);
        }
        writers.ifAvailable(w -> w.all().forEach(ops::writer));
        return new DualWriteEndpoint(ops.build());
    }
}
