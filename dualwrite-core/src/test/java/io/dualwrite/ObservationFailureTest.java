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
package io.dualwrite;

import io.dualwrite.memory.InMemorySink;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The write's observation never changes what the write does, nor its result: a handler (a tracing one, which works
 * on scopes) that throws when the write starts, or when its scope closes, must neither stop the write nor turn a
 * committed, fully delivered write into an exception.
 */
@Timeout(60)
class ObservationFailureTest {

    @Test
    void aHandlerFailingWhenTheWritesScopeClosesNeverFailsACommittedWrite() throws Exception {
        WriterFixture fx = new WriterFixture();
        InMemorySink<Product> sink = new InMemorySink<>();
        ObservationRegistry observations = ObservationRegistry.create();
        observations.observationConfig().observationHandler(new ObservationHandler<Observation.Context>() {
            @Override
            public void onScopeClosed(Observation.Context context) {
                throw new IllegalStateException("tracing backend down");
            }

            @Override
            public boolean supportsContext(Observation.Context context) {
                return true;
            }
        });
        try (DualWriter<Product> w = fx.builder().observationRegistry(observations)
                .sink("s", sink, WriterFixture.fast().policy(DeliveryPolicy.REQUIRED).build()).build()) {
            Object outcome;
            try {
                outcome = w.save(new Product("p", "n", 1));
            } catch (RuntimeException e) {
                outcome = e;
            }
            assertTrue(outcome instanceof WriteResult, "a committed write, delivered to its REQUIRED sink, failed"
                    + " because the observation handler failed when its scope closed: " + outcome + "; primary holds "
                    + fx.primary.read("p").orElse(null) + ", sink holds " + sink.get("p").orElse(null));
        }
    }

    @Test
    void aHandlerFailingWhenTheWriteStartsNeverStopsTheWrite() throws Exception {
        WriterFixture fx = new WriterFixture();
        InMemorySink<Product> sink = new InMemorySink<>();
        ObservationRegistry observations = ObservationRegistry.create();
        observations.observationConfig().observationHandler(new ObservationHandler<Observation.Context>() {
            @Override
            public void onStart(Observation.Context context) {
                throw new IllegalStateException("tracing backend down");
            }

            @Override
            public boolean supportsContext(Observation.Context context) {
                return true;
            }
        });
        try (DualWriter<Product> w = fx.builder().observationRegistry(observations)
                .sink("s", sink, WriterFixture.fast().build()).build()) {
            Object outcome;
            try {
                outcome = w.save(new Product("p", "n", 1));
            } catch (RuntimeException e) {
                outcome = e;
            }
            assertTrue(outcome instanceof WriteResult, "an observation handler failing in onStart stopped the write"
                    + " itself (the write's observation's handlers' failure should never change the result): " + outcome
                    + "; primary holds " + fx.primary.read("p").orElse(null));
        }
    }
}
