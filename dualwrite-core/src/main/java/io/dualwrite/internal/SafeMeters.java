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
package io.dualwrite.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.noop.NoopCounter;
import io.micrometer.core.instrument.noop.NoopTimer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The meters of writes and deliveries, whose failure never changes what a write or a delivery does, nor hides it: a
 * counter or timer the registry refuses to register is a no-op, and one that throws when used is logged and passed
 * over. (A registry that refuses the recovery gauges, registered once while the writer is built, fails the build,
 * which then leaves nothing behind.) Thread-safe (stateless).
 */
final class SafeMeters {
    private static final Logger LOG = LoggerFactory.getLogger(SafeMeters.class);

    private SafeMeters() {
    }

    /**
     * @param name     the counter's name, for the log
     * @param register registers it
     * @return the counter, every use of it guarded; a no-op one when registering failed
     */
    static Counter counter(String name, Supplier<Counter> register) {
        Counter c;
        try {
            c = register.get();
        } catch (RuntimeException e) {
            LOG.warn("could not register the {} counter ({}); not counted", name, e.toString());
            return new NoopCounter(new Meter.Id(name, Tags.empty(), null, null, Meter.Type.COUNTER));
        }
        return new Guarded(c);
    }

    /**
     * @param name     the timer's name, for the log
     * @param register registers it
     * @return the timer; a no-op one when registering failed (its records are guarded by {@link #record})
     */
    static Timer timer(String name, Supplier<Timer> register) {
        try {
            return register.get();
        } catch (RuntimeException e) {
            LOG.warn("could not register the {} timer ({}); not recorded", name, e.toString());
            return new NoopTimer(new Meter.Id(name, Tags.empty(), null, null, Meter.Type.TIMER));
        }
    }

    /**
     * Records into a timer, if it can be registered and used.
     *
     * @param name     the timer's name, for the log
     * @param timer    finds or registers it
     * @param nanos    the time to record
     */
    static void record(String name, Supplier<Timer> timer, long nanos) {
        try {
            timer.get().record(nanos, TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) {
            LOG.warn("could not record into the {} timer ({}); not recorded", name, e.toString());
        }
    }

    /** A counter whose failures are logged, never thrown. */
    private static final class Guarded implements Counter {
        private final Counter delegate;

        Guarded(Counter delegate) {
            this.delegate = delegate;
        }

        @Override
        public void increment(double amount) {
            try {
                delegate.increment(amount);
            } catch (RuntimeException e) {
                LOG.warn("could not count {} ({}); not counted", delegate.getId().getName(), e.toString());
            }
        }

        @Override
        public double count() {
            try {
                return delegate.count();
            } catch (RuntimeException e) {
                return 0;
            }
        }

        @Override
        public Id getId() {
            return delegate.getId();
        }
    }
}
