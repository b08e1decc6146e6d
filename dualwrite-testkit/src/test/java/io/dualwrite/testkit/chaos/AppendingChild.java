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

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A child process for the kill harness's own test: it resumes a numbered log file where the
 * previous (killed) process left it, says READY, and appends lines until it is killed; with
 * {@code --finish} it appends a last line and exits normally.
 */
public final class AppendingChild {
    private AppendingChild() {
    }

    /**
     * @param args the log file, optionally followed by {@code --finish}
     * @throws IOException if the file cannot be written
     */
    public static void main(String[] args) throws IOException {
        Path file = Paths.get(args[0]);
        boolean finish = args.length > 1 && "--finish".equals(args[1]);
        long next = 1;
        if (Files.exists(file)) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (String line : lines) {
                String[] parts = line.split(" ");
                if (parts.length == 3 && parts[2].equals("end")) {
                    next = Long.parseLong(parts[1]) + 1; // only complete lines count: a kill may cut the last one
                }
            }
        }
        long pid = ProcessHandle.current().pid();
        try (OutputStream out = new FileOutputStream(file.toFile(), true)) {
            if (finish) {
                out.write(("\n" + pid + " " + next + " end\nfinished\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                System.out.println("FINISHED at " + next);
                return;
            }
            System.out.println("READY pid " + pid + " resuming at " + next);
            System.out.flush();
            while (true) {
                // a line written in two parts, so a kill can leave half a line behind
                out.write(("\n" + pid + " " + next).getBytes(StandardCharsets.UTF_8));
                out.write(" end".getBytes(StandardCharsets.UTF_8));
                out.flush();
                next++;
                LockSupport.parkNanos(20_000);
            }
        }
    }
}
