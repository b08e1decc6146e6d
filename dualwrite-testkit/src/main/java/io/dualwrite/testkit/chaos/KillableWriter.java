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
package io.dualwrite.testkit.chaos;

import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.testkit.TestItem;

import java.time.Clock;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The child process of a {@link ProcessChaos} run: builds the system with the named
 * {@link ChaosWiring}, saves, updates and deletes {@link TestItem}s from several threads, with
 * recovery running alongside, and prints {@value #READY} once {@value #WARM_OPERATIONS}
 * operations have started; it goes on until it is killed.
 * Arguments: the wiring class, the connection string, the seed, the number of entities, the
 * number of writer threads.
 */
public final class KillableWriter {
    /** Printed once the writer is built and starts writing. */
    public static final String READY = "KILLABLE-WRITER-READY";
    /** Operations started before {@link #READY} is printed. */
    public static final int WARM_OPERATIONS = 20;

    private KillableWriter() {
    }

    /**
     * @param args wiring class, connection string, seed, entities, threads
     * @throws Exception if the system cannot be built
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            throw new IllegalArgumentException("usage: KillableWriter <wiring class> <uri> <seed> <entities> <threads>");
        }
        ChaosWiring wiring = (ChaosWiring) Class.forName(args[0]).getDeclaredConstructor().newInstance();
        long seed = Long.parseLong(args[2]) ^ ProcessHandle.current().pid();
        List<String> ids = Workload.ids(Integer.parseInt(args[3]));
        int threads = Integer.parseInt(args[4]);
        ChaosWiring.Wired wired = wiring.create(args[1], Clock.systemUTC());
        // connect to every store before saying READY, so the kill clock measures writing, not start-up
        wired.writer().read(ids.get(0));
        for (ReconcilableSink<TestItem> sink : wired.sinks().values()) {
            sink.versionsOf(List.of(ids.get(0)));
        }
        wired.deadLetters().count();
        Workload work = new Workload();
        AtomicLong op = new AtomicLong();
        for (int t = 0; t < threads; t++) {
            Random random = new Random(seed * 31 + t);
            Thread w = new Thread(() -> {
                while (true) {
                    work.step(wired.writer(), ids, random, op.incrementAndGet());
                }
            }, "killable-writer-" + t);
            w.start();
        }
        Thread recovery = new Thread(() -> {
            while (true) {
                try {
                    wired.writer().operations().recoverDue();
                } catch (RuntimeException e) {
                    work.error("recovery threw " + e);
                }
            }
        }, "killable-recovery");
        recovery.start();
        // the kill clock starts once writes flow, so every child dies in the middle of real work
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (op.get() < WARM_OPERATIONS && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        System.out.println(READY + " pid " + ProcessHandle.current().pid());
        System.out.flush();
        while (true) {
            Thread.sleep(100);
            System.out.println("ops=" + op.get() + " conflicts=" + work.conflicts.get() + " errors=" + work.errors);
        }
    }
}
