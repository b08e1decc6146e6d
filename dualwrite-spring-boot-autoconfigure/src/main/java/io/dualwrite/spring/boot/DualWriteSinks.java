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

import io.dualwrite.SinkRegistration;
import io.dualwrite.SinkSettings;
import io.dualwrite.spi.Sink;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The sinks of one entity type, declared by the application as a bean: the auto-configuration builds the type's
 * {@link io.dualwrite.DualWriter} from it, and repositories marked {@link DualWritten} for that type write through it.
 * Settings given here are the defaults; {@code dualwrite.entities.<type>.sinks.<sink>.*} properties override them.
 *
 * <pre>{@code
 * @Bean
 * DualWriteSinks<Product> productSinks(RedisSink<Product> cache) {
 *     return DualWriteSinks.builder(Product.class).sink("cache", cache).build();
 * }
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @param <T> the entity type
 */
public final class DualWriteSinks<T> {
    private final Class<T> entityClass;
    private final String entityType;
    private final List<SinkRegistration<T>> sinks;

    private DualWriteSinks(Builder<T> b) {
        this.entityClass = b.entityClass;
        this.entityType = b.entityType;
        this.sinks = List.copyOf(b.sinks);
    }

    /**
     * @param entityClass the Spring Data entity class (a {@code @Document} with an {@code @Id} and a {@code @Version})
     * @param <T>         the entity type
     * @return a new builder
     * @throws NullPointerException if entityClass is null
     */
    public static <T> Builder<T> builder(Class<T> entityClass) {
        return new Builder<>(entityClass);
    }

    /** @return the entity class */
    public Class<T> entityClass() {
        return entityClass;
    }

    /** @return the entity type's name if one was given; otherwise the entity collection's name is used */
    public Optional<String> entityType() {
        return Optional.ofNullable(entityType);
    }

    /** @return the sinks with the settings given in code, in the order they were added */
    public List<SinkRegistration<T>> sinks() {
        return sinks;
    }

    @Override
    public String toString() {
        return "DualWriteSinks[" + entityClass.getName() + " -> "
                + sinks.stream().map(SinkRegistration::name).toList() + "]";
    }

    /**
     * Builds {@link DualWriteSinks}. Not thread-safe. Sink names follow the writer's rules ({@link
     * io.dualwrite.DualWriterBuilder#sink(String, Sink, SinkSettings)}), checked when the application starts.
     *
     * @param <T> the entity type
     */
    public static final class Builder<T> {
        private final Class<T> entityClass;
        private String entityType;
        private final List<SinkRegistration<T>> sinks = new ArrayList<>();

        private Builder(Class<T> entityClass) {
            this.entityClass = Objects.requireNonNull(entityClass, "entityClass");
        }

        /**
         * @param entityType the entity type's name in changes, idempotency keys, metrics and {@code dualwrite.entities.*}
         *                   properties; default the entity collection's name
         * @return this
         * @throws IllegalArgumentException if blank
         */
        public Builder<T> entityType(String entityType) {
            Objects.requireNonNull(entityType, "entityType");
            if (entityType.isBlank()) {
                throw new IllegalArgumentException("entityType must not be blank");
            }
            this.entityType = entityType;
            return this;
        }

        /**
         * Adds a sink with {@link SinkSettings#DEFAULT} (policy SYNC).
         *
         * @param name its name, unique for the entity type
         * @param sink the sink
         * @return this
         */
        public Builder<T> sink(String name, Sink<T> sink) {
            return sink(name, sink, SinkSettings.DEFAULT);
        }

        /**
         * @param name     its name, unique for the entity type
         * @param sink     the sink
         * @param settings its settings; properties override the policy, attempt timeout and max attempts
         * @return this
         */
        public Builder<T> sink(String name, Sink<T> sink, SinkSettings settings) {
            sinks.add(new SinkRegistration<>(name, sink, settings));
            return this;
        }

        /**
         * @return the sinks
         * @throws IllegalStateException if no sink was added
         */
        public DualWriteSinks<T> build() {
            if (sinks.isEmpty()) {
                throw new IllegalStateException("no sink for " + entityClass.getName());
            }
            return new DualWriteSinks<>(this);
        }
    }
}
