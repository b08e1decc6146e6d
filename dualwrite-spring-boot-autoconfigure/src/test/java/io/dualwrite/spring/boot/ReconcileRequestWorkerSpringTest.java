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

import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.operations.Operations;
import io.dualwrite.mongo.reconcile.ReconcileRequest;
import io.dualwrite.mongo.reconcile.ReconcileRequestWorker;
import io.dualwrite.mongo.reconcile.RequestStatus;
import io.dualwrite.reconcile.ReconcileMode;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.spring.boot.app.Product;
import io.dualwrite.spring.boot.app.ProductRepository;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.mongodb.core.MongoTemplate;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reconciliation request worker the starter runs: a request filed through the operations API (as the command
 * line and the endpoint file it) is taken and run by the application, the worker stops with it, and the properties
 * turn it off or are checked at start.
 */
class ReconcileRequestWorkerSpringTest {
    static final InMemorySink<Product> SEARCH = new InMemorySink<>();

    @Configuration(proxyBeanMethods = false)
    static class Sinks {
        @Bean
        DualWriteSinks<Product> productSinks() {
            return DualWriteSinks.builder(Product.class).sink("search", SEARCH).build();
        }
    }

    @Test
    void aRequestFiledThroughTheOperationsApiIsRunByTheApplication() {
        String database = MongoForSpring.newDatabase();
        ReconcileRequestWorker worker;
        try (ConfigurableApplicationContext app = MongoForSpring.run(database, Sinks.class,
                "dualwrite.reconcile.requests.interval=50ms")) {
            DualWriteLifecycle lifecycle = app.getBean(DualWriteLifecycle.class);
            assertEquals(1, lifecycle.requestWorkers().size(), "the starter runs one request worker");
            worker = lifecycle.requestWorkers().get(0);
            assertTrue(app.getBean(DualWriters.class).reconciler(Product.class).isPresent(),
                    "products has a reconcilable sink, so a reconciler");

            ProductRepository products = app.getBean(ProductRepository.class);
            products.save(new Product("rq-1", "Kettle", 2999));
            products.save(new Product("rq-2", "Teapot", 1999));
            SEARCH.clear(); // the index lost both: drift only a reconciliation repairs
            assertFalse(SEARCH.get("rq-1").isPresent());

            Operations ops = Operations.builder(app.getBean(MongoTemplate.class).getDb())
                    .entity("products", "products").build();
            ReconcileRequest filed = ops.requestReconciliation("products", ReconcileScope.all(), ReconcileMode.APPLY,
                    "alice");
            assertEquals(RequestStatus.PENDING, filed.status(), "recorded, not yet taken");

            AtomicReference<ReconcileRequest> seen = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                seen.set(ops.reconciliation(filed.id()));
                return seen.get().status().finished();
            });
            ReconcileRequest done = seen.get();
            assertEquals(RequestStatus.COMPLETED, done.status(), "the application ran it: " + done);
            assertEquals(worker.workerId(), done.owner(), "taken by the application's worker");
            assertEquals(2, done.finalReport().orElseThrow().repaired(), "both entities repaired: " + done.report());
            assertEquals("Kettle", SEARCH.get("rq-1").orElseThrow().getName(), "the index has the entity again");
            assertEquals("Teapot", SEARCH.get("rq-2").orElseThrow().getName(), "the index has the entity again");
        }
        assertThrows(IllegalStateException.class, worker::start, "the worker was closed with the application");
    }

    @Test
    void offByPropertyNoWorkerRuns() {
        try (ConfigurableApplicationContext app = MongoForSpring.run(MongoForSpring.newDatabase(), Sinks.class,
                "dualwrite.reconcile.requests.enabled=false")) {
            assertEquals(0, app.getBean(DualWriteLifecycle.class).requestWorkers().size(),
                    "dualwrite.reconcile.requests.enabled=false: no request worker");
        }
    }

    @Test
    void anInvalidIntervalFailsTheStartNamingTheProperty() {
        Exception e = assertThrows(Exception.class, () -> MongoForSpring.run(MongoForSpring.newDatabase(),
                Sinks.class, "dualwrite.reconcile.requests.interval=0s").close());
        Throwable t = e;
        while (t.getCause() != null && !t.getMessage().contains("dualwrite.reconcile.requests.interval")) {
            t = t.getCause();
        }
        assertTrue(t.getMessage().contains("dualwrite.reconcile.requests.interval"), "names the property: " + e);
    }
}
