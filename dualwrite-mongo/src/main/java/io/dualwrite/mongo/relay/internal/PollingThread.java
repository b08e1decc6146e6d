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
package io.dualwrite.mongo.relay.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntSupplier;

/**
 * The daemon thread both relays run their passes on: right after a pass that did work it runs the
 * next one; after an empty or failed pass it waits, from the shortest wait doubling up to the
 * longest. A pass that throws, an {@link Error} included, is logged and followed by the next after
 * the wait: the thread ends only when stopped. Thread-safe.
 */
public final class PollingThread {
    private static final Logger LOG = LoggerFactory.getLogger(PollingThread.class);

    private final String name;
    private final IntSupplier pass;
    private final Duration minWait;
    private final Duration maxWait;
    private volatile boolean stopped;
    private Thread thread;

    /**
     * @param name    the thread's name
     * @param pass    one pass; returns how much it did (0 when nothing), may throw
     * @param minWait shortest wait after an empty or failed pass, positive
     * @param maxWait longest wait, not below minWait
     */
    public PollingThread(String name, IntSupplier pass, Duration minWait, Duration maxWait) {
        this.name = name;
        this.pass = pass;
        this.minWait = minWait;
        this.maxWait = maxWait;
    }

    /** Starts the thread unless it runs or ran already. */
    public synchronized void start() {
        if (thread != null || stopped) {
            return;
        }
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        Duration wait = Duration.ZERO;
        while (!stopped) {
            try {
                wait = pass.getAsInt() > 0 ? Duration.ZERO : grow(wait);
            } catch (RuntimeException | Error e) {
                // an Error too (the JVM's fatal ones included): the thread is the relay's only one, and a pass it
                // left undone is done again by the next (the documents it held come back when their lease runs out)
                if (stopped) {
                    break;
                }
                wait = grow(wait);
                if (e instanceof Error) {
                    LOG.error("{}: pass failed with an error; next in {} ms", name, wait.toMillis(), e);
                } else {
                    LOG.warn("{}: pass failed ({}); next in {} ms", name, e.toString(), wait.toMillis());
                }
            }
            if (!wait.isZero() && !stopped) {
                LockSupport.parkNanos(this, wait.toNanos());
            }
        }
    }

    private Duration grow(Duration wait) {
        Duration next = wait.isZero() ? minWait : wait.multipliedBy(2);
        return next.compareTo(maxWait) > 0 ? maxWait : next;
    }

    /** Stops the thread and waits (up to 30 s) for its current pass to end. Idempotent. */
    public void stop() {
        Thread t;
        synchronized (this) {
            stopped = true;
            t = thread;
        }
        if (t != null && t != Thread.currentThread()) {
            LockSupport.unpark(t);
            try {
                t.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
