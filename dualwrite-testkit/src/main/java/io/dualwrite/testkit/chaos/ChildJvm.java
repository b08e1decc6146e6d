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

import io.dualwrite.internal.Args;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A Java process started from a main class with the current classpath, for tests that need a
 * real process to die: start it, wait for a line it prints, kill it with SIGKILL
 * ({@link Process#destroyForcibly()}) or wait for it to exit. Its standard output and error are
 * merged and kept (the last {@value #KEPT_LINES} lines). Thread-safe.
 */
public final class ChildJvm implements AutoCloseable {
    /** Lines of output kept. */
    public static final int KEPT_LINES = 200;
    /** JVM options used when none are given: a small heap and a fast start. */
    public static final List<String> DEFAULT_JVM_OPTIONS = List.of("-Xmx128m", "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC");

    private final Process process;
    private final String mainClass;
    private final Deque<String> output = new ArrayDeque<>();
    private final Thread reader;

    private ChildJvm(Process process, String mainClass) {
        this.process = process;
        this.mainClass = mainClass;
        this.reader = new Thread(this::readOutput, "child-jvm-output-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * @param mainClass the fully qualified main class, not null
     * @return a builder using the current JVM's java binary and classpath
     */
    public static Builder builder(String mainClass) {
        return new Builder(mainClass);
    }

    /** @return the operating system's process */
    public Process process() {
        return process;
    }

    /** @return the process id */
    public long pid() {
        return process.pid();
    }

    /** @return true while the process runs */
    public boolean alive() {
        return process.isAlive();
    }

    /**
     * Waits until the process prints a line containing {@code text}.
     *
     * @param text    the text to look for, not null
     * @param timeout the longest wait
     * @return true when it printed such a line, false when it exited or the time ran out first
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitLine(String text, Duration timeout) throws InterruptedException {
        Objects.requireNonNull(text, "text");
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (output) {
            while (true) {
                for (String line : output) {
                    if (line.contains(text)) {
                        return true;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || (!process.isAlive() && !reader.isAlive())) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(output, Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
            }
        }
    }

    /**
     * Kills the process with SIGKILL (no shutdown hook runs, nothing is flushed) and waits for it to end.
     *
     * @return its exit code (137 on Linux after SIGKILL)
     * @throws InterruptedException if interrupted while waiting
     */
    public int kill() throws InterruptedException {
        process.destroyForcibly();
        int code = process.waitFor();
        reader.join(TimeUnit.SECONDS.toMillis(5));
        return code;
    }

    /**
     * Waits for the process to exit by itself.
     *
     * @param timeout the longest wait
     * @return its exit code
     * @throws IllegalStateException if it is still running after the timeout (it is then killed)
     * @throws InterruptedException  if interrupted while waiting
     */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            kill();
            throw new IllegalStateException(mainClass + " did not exit within " + timeout + "; killed it. Output:\n"
                    + String.join("\n", output()));
        }
        reader.join(TimeUnit.SECONDS.toMillis(5));
        return process.exitValue();
    }

    /** @return the last lines it printed (standard output and error merged), oldest first */
    public List<String> output() {
        synchronized (output) {
            return new ArrayList<>(output);
        }
    }

    /** Kills the process if it still runs. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }

    @Override
    public String toString() {
        return "ChildJvm{" + mainClass + ", pid=" + process.pid() + (process.isAlive() ? ", running" : ", ended") + "}";
    }

    private void readOutput() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                synchronized (output) {
                    output.addLast(line);
                    if (output.size() > KEPT_LINES) {
                        output.removeFirst();
                    }
                    output.notifyAll();
                }
            }
        } catch (IOException e) {
            // the process died: its pipe closed
        } finally {
            synchronized (output) {
                output.notifyAll();
            }
        }
    }

    /** Builds and starts a {@link ChildJvm}. Not thread-safe. */
    public static final class Builder {
        private final String mainClass;
        private final List<String> args = new ArrayList<>();
        private List<String> jvmOptions = DEFAULT_JVM_OPTIONS;
        private String classpath = System.getProperty("java.class.path");
        private Path workingDirectory;

        private Builder(String mainClass) {
            Objects.requireNonNull(mainClass, "mainClass");
            Args.notBlank(mainClass, "mainClass");
            this.mainClass = mainClass;
        }

        /**
         * @param args the main method's arguments
         * @return this
         */
        public Builder args(String... args) {
            for (String a : args) {
                this.args.add(Objects.requireNonNull(a, "arg"));
            }
            return this;
        }

        /**
         * @param args the main method's arguments
         * @return this
         */
        public Builder args(List<String> args) {
            return args(args.toArray(new String[0]));
        }

        /**
         * @param options JVM options (system properties too); default {@link ChildJvm#DEFAULT_JVM_OPTIONS}
         * @return this
         */
        public Builder jvmOptions(String... options) {
            this.jvmOptions = List.copyOf(Arrays.asList(options));
            return this;
        }

        /**
         * @param classpath the child's classpath; default this JVM's {@code java.class.path}
         * @return this
         */
        public Builder classpath(String classpath) {
            this.classpath = Objects.requireNonNull(classpath, "classpath");
            return this;
        }

        /**
         * @param dir the child's working directory; default this JVM's
         * @return this
         */
        public Builder workingDirectory(Path dir) {
            this.workingDirectory = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /**
         * @return the started process
         * @throws IOException if it cannot be started
         */
        public ChildJvm start() throws IOException {
            List<String> cmd = new ArrayList<>();
            cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(jvmOptions);
            cmd.add("-cp");
            cmd.add(classpath);
            cmd.add(mainClass);
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            if (workingDirectory != null) {
                pb.directory(new File(workingDirectory.toString()));
            }
            return new ChildJvm(pb.start(), mainClass);
        }
    }
}
