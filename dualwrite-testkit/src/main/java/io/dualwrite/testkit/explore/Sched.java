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

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Runs a schedule's actors one step at a time. Each actor is a thread; it runs only while the
 * scheduler has handed it the turn, until it reaches its next step point ({@link #step}) or ends,
 * so at any moment exactly one actor (or the scheduler) runs and the whole run is a pure function
 * of the {@link Choices}. The actor that takes each turn is the next decision.
 *
 * <p>Code that is not an actor's (setup, the healing phase, the checks) passes every step point
 * without stopping.
 */
final class Sched {
    private static final ThreadLocal<Actor> CURRENT = new ThreadLocal<>();

    /** Thrown inside an actor when the schedule is abandoned, so the actor unwinds. */
    static final class Abandoned extends Error {
        /** The version of the serialized form. */
        private static final long serialVersionUID = 1L;

        Abandoned() {
            super("schedule abandoned", null, false, false);
        }
    }

    /** One actor: a named body run on its own thread. */
    static final class Actor {
        final String name;
        final Runnable body;
        final Semaphore turn = new Semaphore(0);
        volatile boolean done;
        volatile String at = "start";
        volatile Throwable crash;
        Thread thread;
        Sched sched;

        Actor(String name, Runnable body) {
            this.name = name;
            this.body = body;
        }
    }

    /** Called after each step, with the actor that took it. */
    interface StepListener {
        void afterStep(Actor actor);
    }

    /** Serialized with the exception: its {@code choices}. */
    private final Choices choices;
    /** Serialized with the exception: its {@code trace}. */
    private final Trace trace;
    /** Serialized with the exception: its {@code parked}. */
    private final Semaphore parked = new Semaphore(0);
    /** Serialized with the exception: its {@code stuckMillis}. */
    private final long stuckMillis;
    /** Serialized with the exception: its {@code maxSteps}. */
    private final int maxSteps;
    private volatile boolean abandoned;
    private int steps;

    Sched(Choices choices, Trace trace, long stuckMillis, int maxSteps) {
        this.choices = choices;
        this.trace = trace;
        this.stuckMillis = stuckMillis;
        this.maxSteps = maxSteps;
    }

    /**
     * A step point: an actor stops here until the scheduler gives it the next turn; any other
     * thread passes.
     *
     * @param what what the actor does next, for the trace
     * @return true when the calling thread is an actor (and so its faults are drawn)
     */
    static boolean step(String what) {
        Actor a = CURRENT.get();
        if (a == null) {
            return false;
        }
        Sched s = a.sched;
        a.at = what;
        s.parked.release();
        a.turn.acquireUninterruptibly();
        if (s.abandoned) {
            throw new Abandoned();
        }
        return true;
    }

    /** @return the name of the actor running on this thread, or null */
    static String currentActor() {
        Actor a = CURRENT.get();
        return a == null ? null : a.name;
    }

    /** @return how many steps were taken */
    int steps() {
        return steps;
    }

    /**
     * Runs the actors to their end.
     *
     * @param actors   the actors, in a fixed order (decisions index into it)
     * @param listener called after each step
     * @throws StuckException when an actor neither reaches a step point nor ends in time, or the
     *                        schedule takes more than its step limit
     */
    void run(List<Actor> actors, StepListener listener) {
        for (Actor a : actors) {
            a.sched = this;
            a.thread = new Thread(() -> {
                CURRENT.set(a);
                try {
                    step("start");
                    a.body.run();
                } catch (Abandoned e) {
                    // unwinding
                } catch (Throwable t) {
                    a.crash = t;
                } finally {
                    a.done = true;
                    CURRENT.remove();
                    parked.release();
                }
            }, "explorer-" + a.name);
            a.thread.setDaemon(true);
            a.thread.start();
        }
        try {
            awaitParked(actors.size(), null);
            List<Actor> ready = new ArrayList<>(actors.size());
            while (true) {
                ready.clear();
                for (Actor a : actors) {
                    if (!a.done) {
                        ready.add(a);
                    }
                }
                if (ready.isEmpty()) {
                    return;
                }
                if (steps >= maxSteps) {
                    throw new StuckException("the schedule took more than " + maxSteps + " steps");
                }
                Actor a = ready.get(choices.next(ready.size()));
                steps++;
                trace.step(steps, a.name, a.at);
                a.turn.release();
                awaitParked(1, a);
                listener.afterStep(a);
            }
        } finally {
            abandon(actors);
        }
    }

    private void awaitParked(int n, Actor running) {
        try {
            if (!parked.tryAcquire(n, stuckMillis, TimeUnit.MILLISECONDS)) {
                String where = running == null ? "" : " (" + running.name + " at '" + running.at + "': "
                        + stack(running.thread) + ")";
                throw new StuckException("an actor neither reached its next step nor ended within " + stuckMillis
                        + " ms" + where);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StuckException("interrupted while waiting for an actor");
        }
    }

    private static String stack(Thread t) {
        StringBuilder sb = new StringBuilder();
        for (StackTraceElement e : t.getStackTrace()) {
            sb.append("\n        at ").append(e);
        }
        return sb.toString();
    }

    /** Lets every actor still parked unwind, and waits a little for them. */
    private void abandon(List<Actor> actors) {
        abandoned = true;
        for (Actor a : actors) {
            if (!a.done) {
                a.turn.release(1000);
            }
        }
        for (Actor a : actors) {
            try {
                a.thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** A schedule that could not go on: an actor blocked outside a step point, or too many steps. */
    static final class StuckException extends RuntimeException {
        /** The version of the serialized form. */
        private static final long serialVersionUID = 1L;

        StuckException(String message) {
            super(message);
        }
    }
}
