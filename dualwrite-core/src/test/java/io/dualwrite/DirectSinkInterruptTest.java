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

import io.dualwrite.DeliveryPipelineFaultsTest.HookSink;
import io.dualwrite.spi.SinkException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A call whose calling thread was interrupted is neither a success nor a failure of the sink. A sink whose client
 * bounds its calls (direct: called on the caller's thread) reports an interrupt of its wait as a
 * SinkException with the flag kept (as docs/sinks-redis-jdbc-http.md's Redis table describes it, UNKNOWN_OUTCOME, and
 * as many third-party clients do; the library's own RedisSink/HttpSink rethrow the raw InterruptedException, which
 * is handled). The caller was interrupted; the sink is healthy.
 */
@Timeout(60)
class DirectSinkInterruptTest {

    /** Direct; each call waits 500 ms for its "reply", and an interrupt of that wait is reported as the client does. */
    static final class ClientLikeSink extends HookSink {
        ClientLikeSink() {
            super(true);
        }

        @Override
        void before(Change<Product> change) throws Exception {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SinkException("interrupted waiting for the reply", ErrorKind.UNKNOWN_OUTCOME, e);
            }
        }
    }

    @Test
    void anInterruptOfTheCallerNeverCountsAgainstADirectSinksBreaker() throws Exception {
        WriterFixture fx = new WriterFixture();
        ClientLikeSink sink = new ClientLikeSink();
        CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
        try (DualWriter<Product> w = fx.builder().circuitBreakerRegistry(registry)
                .sink("s", sink, WriterFixture.fast().maxAttempts(1).build()).build()) {
            Object outcome = InterruptedCallerTest.saveInterruptedAfter100ms(w, new Product("p", "n", 1));
            CircuitBreaker cb = registry.circuitBreaker(DualWriter.circuitBreakerName("product", "s"));
            assertEquals(0, cb.getMetrics().getNumberOfFailedCalls(), "the caller's interrupt, reported by a direct"
                    + " sink's client as an interrupted wait (flag kept), was recorded as a failure of the healthy"
                    + " sink; the save ended with " + outcome);
        }
    }
}
