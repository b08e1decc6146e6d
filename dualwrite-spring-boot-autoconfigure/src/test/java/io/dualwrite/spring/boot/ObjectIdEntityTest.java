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
import io.dualwrite.spring.boot.app.Gadget;
import io.dualwrite.spring.boot.app.GadgetRepository;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An entity whose {@code @Id} is an ObjectId: a new one gets its id before the save, and its writes reach the sink. */
class ObjectIdEntityTest {
    static final InMemorySink<Gadget> SEARCH = new InMemorySink<>();

    @Configuration(proxyBeanMethods = false)
    static class Sinks {
        @Bean
        DualWriteSinks<Gadget> gadgetSinks() {
            return DualWriteSinks.builder(Gadget.class).sink("search", SEARCH).build();
        }
    }

    @Test
    void savesAndDeletesOfAnObjectIdEntityReachTheSink() {
        try (ConfigurableApplicationContext app = MongoForSpring.run(MongoForSpring.newDatabase(), Sinks.class,
                "dualwrite.entities.gadgets.recovery.enabled=false")) {
            GadgetRepository gadgets = app.getBean(GadgetRepository.class);

            Gadget saved = gadgets.save(new Gadget("Whisk"));
            ObjectId id = saved.getId();
            assertNotNull(id, "an ObjectId was assigned before the save");
            assertEquals("Whisk", SEARCH.get(id.toHexString()).orElseThrow().getName(),
                    "the sink knows the entity by the id's hex string");
            assertTrue(gadgets.findById(id).isPresent(), "Spring Data stored it under the ObjectId");

            saved.setName("Balloon whisk");
            gadgets.save(saved);
            assertEquals("Balloon whisk", SEARCH.get(id.toHexString()).orElseThrow().getName());

            gadgets.deleteById(id);
            assertFalse(SEARCH.get(id.toHexString()).isPresent(), "the delete reached the sink");
        }
    }
}
