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
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.MappingSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A save returns only once every delivery it handed to the executor has ended, its mapping (the application's own
 * code, run before any attempt) included, so that a compensation never overtakes the write at a REQUIRED sink.
 */
@Timeout(60)
class PooledDeliveryWaitTest {

    /** A REQUIRED mapping sink whose first mapping takes 2.5 s (a slow schema lookup); sends are instant. */
    static final class SlowFirstMapping implements MappingSink<Product, Change<Product>> {
        final InMemorySink<Product> target = new InMemorySink<>();
        final AtomicInteger maps = new AtomicInteger();
        final AtomicBoolean inFlight = new AtomicBoolean();
        volatile long slowVersion = -1;
        final List<Long> sentVersions = new CopyOnWriteArrayList<>();

        @Override
        public Change<Product> map(Change<Product> change) throws Exception {
            if (maps.incrementAndGet() == 1) {
                inFlight.set(true);
                slowVersion = change.version();
                Thread.sleep(2500);
            }
            return change;
        }

        @Override
        public ApplyResult send(Change<Product> change, Change<Product> request) throws Exception {
            sentVersions.add(change.version());
            try {
                return target.apply(change);
            } finally {
                if (change.version() == slowVersion) {
                    inFlight.set(false); // the slow delivery (the write's) has ended
                }
            }
        }
    }

    @Test
    void aSaveNeverReturnsNorCompensatesWhileItsPooledRequiredDeliveryIsStillMapping() throws Exception {
        WriterFixture fx = new WriterFixture();
        SlowFirstMapping req = new SlowFirstMapping();
        HookSink other = new HookSink(true);
        try (DualWriter<Product> w = fx.builder()
                .sink("req", req, WriterFixture.fast().maxAttempts(1).attemptTimeout(Duration.ofMillis(200))
                        .policy(DeliveryPolicy.REQUIRED).build())
                .sink("other", other, WriterFixture.fast().build()).build()) {
            Object outcome;
            try {
                outcome = w.save(new Product("p", "n", 1));
            } catch (RuntimeException e) {
                outcome = e;
            }
            boolean stillRunning = req.inFlight.get();
            Thread.sleep(3000); // let the write's delivery end
            assertFalse(stillRunning, "the save returned (" + outcome + ") while its delivery to the REQUIRED sink"
                    + " was still on its way; the sink then got versions " + req.sentVersions + " in that order");
            if (req.sentVersions.size() == 2 && req.sentVersions.get(0) > req.sentVersions.get(1)) {
                fail("the undo overtook the write at the REQUIRED sink: versions sent " + req.sentVersions);
            }
        }
    }
}
