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
package io.dualwrite.testkit.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * What the in-JVM server starters share: a scratch directory per server, its removal, and one
 * JVM-wide instance stopped when the JVM exits. Thread-safe.
 */
public final class EmbeddedServers {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedServers.class);

    private EmbeddedServers() {
    }

    /**
     * @param server the server's name, in the directory name and the error
     * @return a new temporary directory for the server's data
     * @throws UncheckedIOException if it cannot be created
     */
    public static Path scratchDirectory(String server) {
        try {
            return Files.createTempDirectory("dualwrite-" + server + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory for " + server, e);
        }
    }

    /**
     * Deletes a directory tree, logging (not throwing) what could not be deleted.
     *
     * @param root the directory
     */
    public static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.debug("could not delete {}: {}", root, e.toString());
        }
    }

    /**
     * One instance per JVM, started on first use and closed by a shutdown hook.
     *
     * @param <S> the server type
     */
    public static final class Shared<S extends AutoCloseable> {
        private final Supplier<S> starter;
        private final String hookName;
        private S instance;

        /**
         * @param starter  starts a new server
         * @param hookName the shutdown hook thread's name
         */
        public Shared(Supplier<S> starter, String hookName) {
            this.starter = starter;
            this.hookName = hookName;
        }

        /** @return the JVM-wide instance, started on the first call */
        public synchronized S get() {
            if (instance == null) {
                S started = starter.get();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        started.close();
                    } catch (Exception e) {
                        LOG.debug("stopping {} failed: {}", hookName, e.toString());
                    }
                }, hookName));
                instance = started;
            }
            return instance;
        }
    }
}
