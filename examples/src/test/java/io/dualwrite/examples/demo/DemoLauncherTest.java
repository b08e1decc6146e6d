package io.dualwrite.examples.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code ./demo --help} prints the options without building anything. */
class DemoLauncherTest {

    @Test
    void helpNeedsNoBuild() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Process p = new ProcessBuilder("bash", root.resolve("demo").toString(), "--help")
                .directory(root.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the launcher ends");
        assertEquals(0, p.exitValue(), out);
        assertEquals(DemoOptions.HELP + "\n", out, "the help text and nothing else: no build ran");
    }
}
