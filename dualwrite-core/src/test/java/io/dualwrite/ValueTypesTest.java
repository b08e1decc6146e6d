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

import io.dualwrite.spi.SinkException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ValueTypesTest {

    @Test
    void defaultIdempotencyKeyIsTypeSlashIdAtVersion() {
        assertEquals("product/p1@7", IdempotencyKeys.of("product", "p1", 7));
        assertThrows(IllegalArgumentException.class, () -> IdempotencyKeys.of("product", "p1", 0));
        Change<String> c = Change.<String>builder().entityType("product").id("p1").version(7)
                .operation(Operation.UPSERT).state("s").correlationId("c").time(Instant.EPOCH).build();
        assertEquals("product/p1@7", c.idempotencyKey());
        assertEquals("custom", c.toBuilder().idempotencyKey("custom").build().idempotencyKey());
        assertFalse(c.toString().contains("\"s\""), "toString never shows the state");
    }

    @Test
    void changeStateMustMatchItsOperation() {
        assertThrows(IllegalArgumentException.class, () -> Change.<String>builder().entityType("t").id("i").version(1)
                .operation(Operation.UPSERT).correlationId("c").time(Instant.EPOCH).build());
        assertThrows(IllegalArgumentException.class, () -> Change.<String>builder().entityType("t").id("i").version(1)
                .operation(Operation.DELETE).state("x").correlationId("c").time(Instant.EPOCH).build());
        Change<String> d = Change.<String>builder().entityType("t").id("i").version(1).operation(Operation.DELETE)
                .correlationId("c").time(Instant.EPOCH).build();
        assertTrue(d.isDelete());
        assertThrows(IllegalStateException.class, d::requireState);
    }

    @Test
    void firstVersionsGrowWithTime() {
        long a = Versions.firstVersion(Instant.parse("2026-01-01T00:00:00Z"));
        long b = Versions.firstVersion(Instant.parse("2026-01-01T00:00:00.001Z"));
        assertEquals(Versions.PER_MILLISECOND, b - a);
        assertEquals(1, Versions.firstVersion(Instant.EPOCH));
        assertEquals(a + 1, Versions.firstVersion(Instant.parse("2026-01-01T00:00:00.000001Z")),
                "microsecond resolution: a purged id re-created a microsecond later still starts higher");
        assertTrue(Versions.firstVersion(Instant.parse("2250-01-01T00:00:00Z")) < (1L << 53), "safe for JSON doubles");
    }

    @Test
    void defaultClassifierReadsSignalsNotClasses() {
        ErrorClassifier c = ErrorClassifier.defaults();
        assertEquals(ErrorKind.PERMANENT, c.classify(new SinkException("x", ErrorKind.PERMANENT, null)));
        assertEquals(ErrorKind.TRANSIENT, c.classify(new IOException("reset")));
        assertEquals(ErrorKind.UNKNOWN_OUTCOME, c.classify(new TimeoutException()));
        assertEquals(ErrorKind.PERMANENT, c.classify(new IllegalArgumentException()));
        assertEquals(ErrorKind.UNKNOWN_OUTCOME, c.classify(new IllegalStateException()));
        assertEquals(ErrorKind.TRANSIENT, c.classify(new ExecutionException(new IOException())), "wrappers unwrapped");
        ErrorClassifier custom = e -> e instanceof IllegalStateException ? ErrorKind.PERMANENT : null;
        assertEquals(ErrorKind.PERMANENT, custom.orElse(c).classify(new IllegalStateException()));
        assertEquals(ErrorKind.TRANSIENT, custom.orElse(c).classify(new IOException()));
    }

    @Test
    void rampBucketsAreStableAndSpread() {
        int[] counts = new int[10];
        for (int i = 0; i < 10_000; i++) {
            String id = "entity-" + i;
            boolean in = io.dualwrite.internal.Ramp.includes(id, 30);
            assertEquals(in, io.dualwrite.internal.Ramp.includes(id, 30), "same answer every time");
            if (io.dualwrite.internal.Ramp.includes(id, 30)) {
                counts[0]++;
            }
            assertTrue(!io.dualwrite.internal.Ramp.includes(id, 10) || in, "a wider ramp keeps everyone already in");
        }
        assertTrue(counts[0] > 2700 && counts[0] < 3300, "about 30% in: " + counts[0]);
    }

    @Test
    void deadLettersOfOneEntityAndSinkMerge() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        DeadLetter a = new DeadLetter("p", "1", 5, "s", 2, ErrorKind.TRANSIENT, "first", "first", "c1", "k1", t0, t0);
        DeadLetter b = new DeadLetter("p", "1", 7, "s", 1, ErrorKind.PERMANENT, null, "later", "c2", "k2",
                t0.plusSeconds(5), t0.plusSeconds(5));
        DeadLetter m = a.mergeWith(b);
        assertEquals(7, m.version());
        assertEquals(3, m.attempts());
        assertEquals("first", m.firstError());
        assertEquals("later", m.lastError());
        assertEquals(t0, m.createdAt());
        assertEquals(ErrorKind.PERMANENT, m.kind());
    }

    @Test
    void aSinkSettingsCopyBuilderKeepsEverySettingItDoesNotChange() {
        ErrorClassifier classifier = e -> ErrorKind.PERMANENT;
        io.github.resilience4j.circuitbreaker.CircuitBreakerConfig breaker =
                io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.custom().slidingWindowSize(7).build();
        SinkSettings original = SinkSettings.builder().policy(DeliveryPolicy.ASYNC).rampPercent(20).rampDownFrom(50)
                .attemptTimeout(java.time.Duration.ofSeconds(3)).maxAttempts(4)
                .backoff(java.time.Duration.ofMillis(10), 3.0, java.time.Duration.ofSeconds(2)).jitter(0.2)
                .maxConcurrentCalls(9).circuitBreaker(breaker).schemaVersion(2).classifier(classifier)
                .clientEnforcesTimeout(true).build();
        SinkSettings copy = original.toBuilder().build();
        assertEquals(original.toString(), copy.toString());
        assertEquals(original.rampDownFrom(), copy.rampDownFrom());
        assertSame(breaker, copy.circuitBreaker());
        assertSame(classifier, copy.classifier());
        SinkSettings changed = original.toBuilder().policy(DeliveryPolicy.SYNC).build();
        assertEquals(DeliveryPolicy.SYNC, changed.policy());
        assertEquals(original.toString().replace("ASYNC", "SYNC"), changed.toString(), "only the policy changed");
        assertEquals(SinkSettings.DEFAULT.toString(), SinkSettings.DEFAULT.toBuilder().build().toString());
    }
}
