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
package io.dualwrite.spring.boot.test;

import io.dualwrite.DualWriter;
import io.dualwrite.SinkRegistration;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.spring.boot.DualWriteSinks;
import io.dualwrite.spring.boot.DualWriters;
import io.dualwrite.testkit.convergence.Convergence;
import io.dualwrite.testkit.convergence.ConvergenceReport;
import io.dualwrite.testkit.fault.FaultySink;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.config.BeanPostProcessor;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Swaps every sink of the application's {@link DualWriteSinks} beans for a {@link FaultySink} around it, healthy
 * until the test says otherwise, and checks convergence with the testkit's {@link Convergence}. Import it into a test:
 *
 * <pre>{@code
 * @SpringBootTest(properties = "dualwrite.entities.products.recovery.grace-period=0s")
 * @Import(FaultySinks.class)
 * class CatalogTest {
 *     @Autowired FaultySinks faults;
 *     @Autowired ProductRepository products;
 *
 *     @Test
 *     void theCacheCatchesUpAfterAnOutage() {
 *         faults.sink(Product.class, "cache").failNext(3, ErrorKind.TRANSIENT);
 *         products.save(new Product("p-1", "Kettle", 2999));
 *         faults.awaitConverged(Duration.ofSeconds(10), Product.class, List.of("p-1"));
 *     }
 * }
 * }</pre>
 *
 * <p>Recovery takes over a failed delivery only after the grace period: set it to {@code 0s} for the entity types a
 * test waits on. Thread-safe.
 */
public class FaultySinks implements BeanPostProcessor, BeanFactoryAware {
    private final Map<Class<?>, Map<String, FaultySink<?>>> sinks = new ConcurrentHashMap<>();
    private BeanFactory beans;

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        this.beans = beanFactory;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
        if (bean instanceof DualWriteSinks<?> s) {
            return wrap(s);
        }
        return bean;
    }

    private <T> DualWriteSinks<T> wrap(DualWriteSinks<T> given) {
        DualWriteSinks.Builder<T> b = DualWriteSinks.builder(given.entityClass());
        given.entityType().ifPresent(b::entityType);
        Map<String, FaultySink<?>> wrapped = new LinkedHashMap<>();
        for (SinkRegistration<T> r : given.sinks()) {
            FaultySink<T> faulty = FaultySink.wrap(r.sink()).build();
            wrapped.put(r.name(), faulty);
            b.sink(r.name(), faulty, r.settings());
        }
        sinks.put(given.entityClass(), wrapped);
        return b.build();
    }

    /**
     * @param entityClass an entity class with a {@link DualWriteSinks} bean
     * @param sink        one of its sink names
     * @param <T>         the entity type
     * @return the fault-injecting sink around it, to fail, hold or heal
     * @throws IllegalArgumentException when there is no such sink
     */
    @SuppressWarnings("unchecked")
    public <T> FaultySink<T> sink(Class<T> entityClass, String sink) {
        Objects.requireNonNull(entityClass, "entityClass");
        Objects.requireNonNull(sink, "sink");
        FaultySink<?> s = sinks.getOrDefault(entityClass, Map.of()).get(sink);
        if (s == null) {
            throw new IllegalArgumentException("no sink " + sink + " of " + entityClass.getName() + "; sinks: "
                    + sinks.getOrDefault(entityClass, Map.of()).keySet());
        }
        return (FaultySink<T>) s;
    }

    /** Heals every sink: every fault but a poison is off from now on ({@link FaultySink#heal()}). */
    public void healAll() {
        sinks.values().forEach(m -> m.values().forEach(FaultySink::heal));
    }

    /**
     * Heals every sink, then waits until the entity type is quiet and every sink holds what the primary holds for the
     * given ids (or the entity sits in the dead letters), with the testkit's
     * {@link Convergence#awaitConverged(Duration, DualWriter[])}: it runs recovery passes and flushes
     * acknowledgements itself, and fails with a readable diff when the time runs out. Every sink must be a
     * {@link ReconcilableSink}, so that its versions can be read.
     *
     * @param timeout     how long to wait
     * @param entityClass the entity class
     * @param ids         every id the test wrote
     * @param <T>         the entity type
     * @return the report, when converged
     * @throws AssertionError when not converged in time
     */
    @SuppressWarnings("unchecked")
    public <T> ConvergenceReport awaitConverged(Duration timeout, Class<T> entityClass, Collection<String> ids) {
        healAll();
        DualWriter<T> writer = beans.getBean(DualWriters.class).writer(entityClass);
        Convergence<T> check = Convergence.<T>check().primary(writer, ids).deadLetters(writer.deadLetters())
                .entityType(writer.entityType());
        sinks.getOrDefault(entityClass, Map.of()).forEach((name, s) -> check.sink(name, (ReconcilableSink<T>) s));
        return check.awaitConverged(timeout, writer);
    }
}
