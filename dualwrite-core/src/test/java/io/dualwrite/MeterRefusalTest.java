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
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** A registry that refuses to register a meter never keeps a writer from delivering, nor fails a committed write. */
@Timeout(60)
class MeterRefusalTest {

    private static MeterFilter refusing(String name) {
        return new MeterFilter() {
            @Override
            public MeterFilterReply accept(Meter.Id id) {
                if (id.getName().equals(name)) {
                    throw new IllegalStateException("meter registry refuses " + id.getName());
                }
                return MeterFilterReply.NEUTRAL;
            }
        };
    }

    /** The registry refuses the sink.retries counter (registered when the sink's channel is built). */
    @Test
    void aRegistryThatRefusesTheRetriesCounterNeverKeepsAWriterFromDelivering() {
        WriterFixture fx = new WriterFixture();
        fx.meters.config().meterFilter(refusing(DualWriteMetrics.SINK_RETRIES));
        HookSink sink = new HookSink(true);
        try (DualWriter<Product> w = fx.builder().sink("s", sink, WriterFixture.fast().build()).build()) {
            assertEquals(SinkOutcome.APPLIED, w.save(new Product("p", "n", 1)).outcome("s").orElseThrow());
        } catch (RuntimeException e) {
            fail("a registry refusing the " + DualWriteMetrics.SINK_RETRIES + " counter keeps the writer from being"
                    + " built or used: " + e);
        }
    }

    /** The registry refuses the dualwrite.write timer (the write's observation): the committed, applied write stands. */
    @Test
    void aRegistryThatRefusesTheWriteTimerNeverFailsACommittedWrite() {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(true);
        try (DualWriter<Product> w = fx.builder().sink("s", sink, WriterFixture.fast().build()).build()) {
            fx.meters.config().meterFilter(refusing(DualWriteMetrics.WRITE));
            try {
                WriteResult r = w.save(new Product("p", "n", 1));
                assertEquals(SinkOutcome.APPLIED, r.outcome("s").orElseThrow());
            } catch (RuntimeException e) {
                fail("a registry refusing the " + DualWriteMetrics.WRITE + " timer failed a save whose write was"
                        + " committed (" + fx.primary.read("p").orElse(null) + ") and applied (" + sink.calls.get()
                        + " sink calls): " + e);
            }
        }
    }
}
