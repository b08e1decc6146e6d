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
package io.dualwrite.testkit.explore;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The executors a node gives its writer, so that no work runs on a thread the schedule does not
 * control: sink calls run on the calling actor's thread, and scheduled tasks (the acknowledgement
 * flush) run only when the node's recovery actor runs them.
 */
final class Executors2 {
    private Executors2() {
    }

    /** An executor with no threads of its own: shutting it down only marks it. */
    abstract static class Threadless extends AbstractExecutorService {
        private volatile boolean shutdown;

        @Override
        public void shutdown() {
            shutdown = true;
        }

        @Override
        public List<Runnable> shutdownNow() {
            shutdown = true;
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return shutdown;
        }

        @Override
        public boolean isTerminated() {
            return shutdown;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return true;
        }
    }

    /** Runs every task at once on the submitting thread. */
    static final class CallerRuns extends Threadless {
        @Override
        public void execute(Runnable command) {
            command.run();
        }
    }

    /**
     * Queues one-off tasks until {@link #runQueued()}; periodic and delayed tasks never run by
     * themselves (the schedule drives the work they would do).
     */
    static final class Manual extends Threadless implements ScheduledExecutorService {
        private final ArrayDeque<Runnable> queue = new ArrayDeque<>();

        @Override
        public synchronized void execute(Runnable command) {
            queue.add(command);
        }

        /** @return how many queued tasks ran */
        int runQueued() {
            int n = 0;
            while (true) {
                Runnable r;
                synchronized (this) {
                    r = queue.poll();
                }
                if (r == null) {
                    return n;
                }
                r.run();
                n++;
            }
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            return new Never<>();
        }

        @Override
        public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
            return new Never<>();
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
            return new Never<>();
        }

        @Override
        public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay,
                                                         TimeUnit unit) {
            return new Never<>();
        }

        @Override
        public synchronized List<Runnable> shutdownNow() {
            super.shutdownNow();
            List<Runnable> left = new ArrayList<>(queue);
            queue.clear();
            return left;
        }
    }

    /** A scheduled task that never runs. */
    private static final class Never<V> implements ScheduledFuture<V> {
        private volatile boolean cancelled;

        @Override
        public long getDelay(TimeUnit unit) {
            return Long.MAX_VALUE;
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            cancelled = true;
            return true;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public boolean isDone() {
            return cancelled;
        }

        @Override
        public V get() {
            throw new java.util.concurrent.CancellationException("a scheduled task of the explorer never runs");
        }

        @Override
        public V get(long timeout, TimeUnit unit) {
            return get();
        }
    }
}
