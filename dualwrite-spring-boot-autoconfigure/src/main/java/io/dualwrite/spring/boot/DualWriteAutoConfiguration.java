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

import io.dualwrite.DualWriter;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.RecoveryWorker;
import io.dualwrite.SinkRegistration;
import io.dualwrite.json.Jackson2Json;
import io.dualwrite.json.Jackson3Json;
import io.dualwrite.json.Json;
import io.dualwrite.mongo.IdType;
import io.dualwrite.mongo.MongoDeadLetterStore;
import io.dualwrite.mongo.MongoWriteAheadStore;
import io.dualwrite.mongo.events.EmbeddedEventRelay;
import io.dualwrite.mongo.reconcile.MongoReconcileStore;
import io.dualwrite.mongo.reconcile.ReconcileRequestWorker;
import io.dualwrite.mongo.reconcile.ReconcileRequests;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.reconcile.ReconcilerBuilder;
import io.dualwrite.mongo.relay.ChangeStreamRelay;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.spi.ReconcileStore;
import io.dualwrite.spring.boot.internal.DualWriteRepositoryPostProcessor;
import io.dualwrite.spring.boot.internal.MappingConverterCodec;
import io.dualwrite.spring.boot.internal.PropertyChecks;
import io.dualwrite.spring.boot.internal.PropertyMapping;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import org.bson.Document;
import org.bson.codecs.configuration.CodecRegistries;
import org.bson.codecs.configuration.CodecRegistry;
import org.bson.types.ObjectId;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.data.mongodb.autoconfigure.DataMongoAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.data.mongodb.core.convert.MongoConverter;
import org.springframework.data.mongodb.core.mapping.MongoPersistentEntity;
import org.springframework.data.mongodb.core.mapping.MongoPersistentProperty;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds one {@link DualWriter} per {@link DualWriteSinks} bean on the application's {@link MongoTemplate}, makes
 * repositories marked {@link DualWritten} write through them, and runs their recovery workers with the application;
 * builds a {@link Reconciler} per entity type that has a reconcilable sink and runs the reconciliation requests with
 * them ({@code dualwrite.reconcile.requests.*}). Declares the {@link Json} bean on the application's own Jackson 3 (else
 * Jackson 2) mapper, which the application's sink beans take with their {@code json(Json)}. Off with
 * {@code dualwrite.enabled=false}.
 */
@AutoConfiguration(after = DataMongoAutoConfiguration.class,
        afterName = "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration")
@ConditionalOnClass({DualWriter.class, MongoWriteAheadStore.class, MongoTemplate.class})
@ConditionalOnProperty(prefix = "dualwrite", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(DualWriteProperties.class)
public class DualWriteAutoConfiguration {

    /** The application's Jackson 3 mapper (Spring Boot 4's {@code JsonMapper} bean), when it has one. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "tools.jackson.databind.json.JsonMapper")
    static class Jackson3 {
        /**
         * @param mapper the application's Jackson 3 mapper
         * @return dualwrite's JSON through it: the writers' serialization check, and for the application's sinks
         *         ({@code RedisSink}, {@code OpenSearchSink}, {@code HttpSink}, {@code KafkaSink}, {@code JdbcSink},
         *         {@code EventEnvelopes}: each builder's {@code json(Json)})
         */
        @Bean
        @ConditionalOnMissingBean(Json.class)
        @ConditionalOnBean(type = "tools.jackson.databind.json.JsonMapper")
        Json dualWriteJson(tools.jackson.databind.json.JsonMapper mapper) {
            return Jackson3Json.of(mapper);
        }
    }

    /** The application's Jackson 2 mapper, when it has one and no Jackson 3 mapper. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "com.fasterxml.jackson.databind.ObjectMapper")
    static class Jackson2 {
        /**
         * @param mapper the application's Jackson 2 mapper
         * @return dualwrite's JSON through it
         */
        @Bean
        @ConditionalOnMissingBean(Json.class)
        @ConditionalOnBean(type = "com.fasterxml.jackson.databind.ObjectMapper")
        Json dualWriteJson(com.fasterxml.jackson.databind.ObjectMapper mapper) {
            return Jackson2Json.of(mapper);
        }
    }

    /**
     * @param writers   the application's writers, looked up when a repository is first used
     * @param converter the application's converter, looked up when a repository is first used
     * @return the post-processor that makes {@link DualWritten} repositories write through dualwrite
     */
    @Bean
    static DualWriteRepositoryPostProcessor dualWriteRepositoryPostProcessor(ObjectProvider<DualWriters> writers,
                                                                           ObjectProvider<MongoConverter> converter) {
        return new DualWriteRepositoryPostProcessor(writers, converter);
    }

    /**
     * @param template   the application's template: its database
     * @param properties {@code dualwrite.dead-letter-collection}
     * @return the dead-letter store every writer shares
     */
    @Bean
    @ConditionalOnMissingBean(DeadLetterStore.class)
    @ConditionalOnBean(MongoTemplate.class)
    MongoDeadLetterStore dualWriteDeadLetterStore(MongoTemplate template, DualWriteProperties properties) {
        MongoDeadLetterStore.Builder b = MongoDeadLetterStore.builder(template.getDb());
        PropertyChecks.apply("dualwrite.dead-letter-collection", properties.getDeadLetterCollection(),
                b::collectionName);
        return b.build();
    }

    /**
     * @param template   the application's template: its database
     * @param properties {@code dualwrite.reconcile.*}
     * @return where reconciliation runs keep their checkpoints and reports
     */
    @Bean
    @ConditionalOnMissingBean(ReconcileStore.class)
    @ConditionalOnBean(MongoTemplate.class)
    MongoReconcileStore dualWriteReconcileStore(MongoTemplate template, DualWriteProperties properties) {
        MongoReconcileStore.Builder b = MongoReconcileStore.builder(template.getDb());
        PropertyChecks.apply("dualwrite.reconcile.checkpoint-collection",
                properties.getReconcile().getCheckpointCollection(), b::checkpointsCollection);
        PropertyChecks.apply("dualwrite.reconcile.report-collection", properties.getReconcile().getReportCollection(),
                b::reportsCollection);
        return b.build();
    }

    /**
     * @param sinks        the application's sinks per entity class
     * @param template     the application's template: its database and converter
     * @param deadLetters  where dead letters go
     * @param properties   {@code dualwrite.*}
     * @param meters       the application's meter registry, if it has one
     * @param observations the application's observation registry, if it has one
     * @param breakers     the application's circuit breaker registry, if it has one (Resilience4j's Spring Boot
     *                     support provides one and publishes its breakers); else one of dualwrite's own, whose
     *                     breakers are published to the meter registry
     * @param json         the application's JSON mapping ({@code dualWriteJson}: its Jackson 3 or Jackson 2 mapper), if
     *                     it has one; else {@link Json#defaults()}
     * @param reconcileStore where the reconcilers keep their checkpoints and reports
     * @return a writer per entity class, and a reconciler per entity class that has a reconcilable sink
     */
    @Bean(destroyMethod = "closeAll")
    @ConditionalOnBean(MongoTemplate.class)
    DualWriters dualWriters(ObjectProvider<DualWriteSinks<?>> sinks, MongoTemplate template, DeadLetterStore deadLetters,
                            DualWriteProperties properties, ObjectProvider<MeterRegistry> meters,
                            ObjectProvider<ObservationRegistry> observations,
                            ObjectProvider<CircuitBreakerRegistry> breakers, ObjectProvider<Json> json,
                            ObjectProvider<ReconcileStore> reconcileStore) {
        CircuitBreakerRegistry registry = breakers.getIfAvailable(() -> {
            CircuitBreakerRegistry own = CircuitBreakerRegistry.ofDefaults();
            meters.ifAvailable(m -> TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(own).bindTo(m));
            return own;
        });
        Map<Class<?>, DualWriter<?>> writers = new LinkedHashMap<>();
        Map<Class<?>, Reconciler> reconcilers = new LinkedHashMap<>();
        try {
            for (DualWriteSinks<?> s : sinks.orderedStream().toList()) {
                if (writers.containsKey(s.entityClass())) {
                    throw new IllegalStateException("two DualWriteSinks beans for " + s.entityClass().getName());
                }
                Wiring<?> wiring = wiring(s, template, deadLetters, properties);
                DualWriterBuilder<?> builder = wiring.builder().circuitBreakerRegistry(registry);
                meters.ifAvailable(builder::meterRegistry);
                observations.ifAvailable(builder::observationRegistry);
                json.ifAvailable(builder::json);
                wiring.build(writers, reconcilers, reconcileStore.getIfAvailable(), meters.getIfAvailable());
            }
        } catch (RuntimeException e) {
            writers.values().forEach(DualWriter::close);
            throw e;
        }
        return new DualWriters(writers, registry, reconcilers);
    }

    /**
     * @param writers            the application's writers
     * @param properties         {@code dualwrite.*}: which entity types recover, and how
     * @param changeStreamRelays the application's change-stream relay beans, which it leaves to this lifecycle
     * @param eventRelays        the application's embedded-event relay beans, which it leaves to this lifecycle
     * @param requestWorkers     the application's own reconciliation request worker, if it declares one as a bean
     *                           (the lifecycle starts it, and the starter builds none)
     * @param template           the application's template: the database the reconciliation requests are recorded in
     * @return the lifecycle of the relays, recovery workers, reconciliation request worker and writers
     */
    @Bean
    @ConditionalOnBean(DualWriters.class)
    DualWriteLifecycle dualWriteLifecycle(DualWriters writers, DualWriteProperties properties,
                                          ObjectProvider<ChangeStreamRelay> changeStreamRelays,
                                          ObjectProvider<EmbeddedEventRelay> eventRelays,
                                          ObjectProvider<ReconcileRequestWorker> requestWorkers,
                                          MongoTemplate template) {
        List<RecoveryWorker> workers = new ArrayList<>();
        for (DualWriter<?> w : writers.all()) {
            DualWriteProperties.Recovery recovery = properties.entity(w.entityType()).getRecovery();
            if (recovery.isEnabled()) {
                workers.add(PropertyMapping.worker(w, recovery));
            }
        }
        List<ReconcileRequestWorker> requests = new ArrayList<>(requestWorkers.orderedStream().toList());
        DualWriteProperties.Requests settings = properties.getReconcile().getRequests();
        if (requests.isEmpty() && settings.isEnabled() && !writers.reconcilers().isEmpty()) {
            requests.add(PropertyMapping.requestWorker(ReconcileRequests.builder(template.getDb()).build(),
                    writers.reconcilers(), settings));
        }
        return new DualWriteLifecycle(writers, workers, changeStreamRelays.orderedStream().toList(),
                eventRelays.orderedStream().toList(), requests);
    }

    private static <T> DualWriter<T> build(DualWriterBuilder<T> builder) {
        try {
            return builder.build();
        } catch (IllegalStateException e) {
            // settings that conflict (a lease shorter than an attempt timeout): name the entity type's properties
            throw new IllegalStateException("dualwrite.entities.*: " + e.getMessage(), e);
        }
    }

    /**
     * One entity class's writer in the making: its builder, the primary store it writes to, and its sinks, from which
     * its reconciler is made once the writer is built.
     */
    private record Wiring<T>(DualWriteSinks<T> sinks, MongoWriteAheadStore<T> primary, DualWriterBuilder<T> builder) {
        void build(Map<Class<?>, DualWriter<?>> writers, Map<Class<?>, Reconciler> reconcilers,
                   @Nullable ReconcileStore store, @Nullable MeterRegistry meters) {
            DualWriter<T> writer = DualWriteAutoConfiguration.build(builder);
            writers.put(sinks.entityClass(), writer);
            ReconcilerBuilder<T> reconciler = Reconciler.<T>builder().writer(writer).primary(primary);
            boolean any = false;
            for (SinkRegistration<T> r : sinks.sinks()) {
                if (r.sink() instanceof ReconcilableSink<T> reconcilable) {
                    reconciler.sink(r.name(), reconcilable);
                    any = true;
                }
            }
            if (!any) {
                return;
            }
            if (store != null) {
                reconciler.store(store);
            }
            if (meters != null) {
                reconciler.meterRegistry(meters);
            }
            reconcilers.put(sinks.entityClass(), reconciler.build());
        }
    }

    private static <T> Wiring<T> wiring(DualWriteSinks<T> sinks, MongoTemplate template,
                                        DeadLetterStore deadLetters, DualWriteProperties properties) {
        Class<T> type = sinks.entityClass();
        MongoConverter converter = template.getConverter();
        MongoPersistentEntity<?> entity = converter.getMappingContext().getRequiredPersistentEntity(type);
        MongoPersistentProperty version = entity.getVersionProperty();
        if (version == null) {
            throw new IllegalStateException(type.getName() + " has no @Version property: dualwrite takes each save's"
                    + " version from it");
        }
        MongoPersistentProperty id = entity.getRequiredIdProperty();
        String collectionName = template.getCollectionName(type);
        String entityType = sinks.entityType().orElse(collectionName);
        MongoDatabase database = template.getDb();
        CodecRegistry codecs = CodecRegistries.fromRegistries(
                CodecRegistries.fromCodecs(new MappingConverterCodec<>(type, converter,
                        database.getCodecRegistry().get(Document.class))),
                database.getCodecRegistry());
        MongoCollection<T> collection = database.getCollection(collectionName, type).withCodecRegistry(codecs);
        MongoWriteAheadStore<T> store = MongoWriteAheadStore.builder(database, collection)
                .versionField(version.getFieldName())
                .idType(ObjectId.class.equals(id.getType()) ? IdType.OBJECT_ID : IdType.STRING)
                .build();
        DualWriteProperties.Entity settings = properties.entity(entityType);
        DualWriterBuilder<T> builder = DualWriter.<T>builder()
                .entityType(entityType)
                .primary(store)
                .deadLetterStore(deadLetters);
        PropertyMapping.writer(builder, entityType, settings);
        for (SinkRegistration<T> r : sinks.sinks()) {
            builder.sink(r.name(), r.sink(), PropertyMapping.sink(entityType, r.name(), r.settings(),
                    settings.getSinks().get(r.name())));
        }
        for (String named : settings.getSinks().keySet()) {
            if (sinks.sinks().stream().noneMatch(r -> r.name().equals(named))) {
                throw new IllegalStateException("dualwrite.entities." + entityType + ".sinks." + named
                        + " names no sink of " + sinks);
            }
        }
        return new Wiring<>(sinks, store, builder);
    }
}
