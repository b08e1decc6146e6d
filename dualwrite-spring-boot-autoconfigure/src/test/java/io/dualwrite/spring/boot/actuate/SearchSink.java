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

import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spring.boot.DualWriteSinks;
import io.dualwrite.spring.boot.app.Product;
import io.dualwrite.testkit.fault.FaultySink;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * The endpoint tests' catalog sink: an in-memory search index behind a fault-injecting wrapper, which a test poisons
 * for an entity to get it dead-lettered. Each test uses entity ids of its own.
 */
@TestConfiguration(proxyBeanMethods = false)
class SearchSink {
    static final InMemorySink<Product> SEARCH = new InMemorySink<>();
    static final FaultySink<Product> FAULTY = FaultySink.wrap((io.dualwrite.spi.Sink<Product>) SEARCH).build();

    @Bean
    DualWriteSinks<Product> productSinks() {
        return DualWriteSinks.builder(Product.class).sink("search", FAULTY).build();
    }
}
