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
package io.dualwrite.release;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A project written as a user writes one, built by its own Maven from a local repository that starts empty: its pom
 * is the README's dependency block, its sources are the README's first program and its testkit test. The dualwrite
 * artifacts come from a file repository that this test lays out from what the build just packaged; everything else
 * from the build's own local repository, used as a read-only remote (Maven Central only for what it lacks). It
 * proves that the README's code compiles against the published artifacts, that the program runs and its test passes,
 * and that the user's classpath holds one version of Netty and no JUnit 4.
 */
class UserProjectTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path SOURCE = Path.of("src/test/resources/user-project").toAbsolutePath();
    private static final Path WORK = Path.of("target/user-project").toAbsolutePath();
    private static final List<String> PUBLISHED = List.of("dualwrite-core", "dualwrite-testkit", "dualwrite-mongo",
            "dualwrite-redis", "dualwrite-jdbc", "dualwrite-http", "dualwrite-opensearch", "dualwrite-kafka");

    @Test
    void theReadmeShowsTheUserProjectAsItIs() throws IOException {
        String readme = read(ROOT.resolve("README.md"));
        String pom = read(SOURCE.resolve("pom.xml"));
        String dependencies = pom.substring(pom.indexOf("<dependencyManagement>"), pom.indexOf("\n</dependencies>\n") + 17);
        assertTrue(readme.contains("```xml\n" + dependencies + "```\n"),
                "the README's dependency block is the user project's (user-project/pom.xml)");
        for (String source : List.of("src/main/java/com/example/catalog/CatalogApp.java",
                "src/test/java/com/example/catalog/CatalogAppTest.java")) {
            assertTrue(readme.contains("```java\n" + read(SOURCE.resolve(source)) + "```\n"),
                    "the README shows " + source + " of the user project as it is");
        }
    }

    @Test
    void aUserProjectBuildsFromAnEmptyLocalRepositoryAndHasOneNettyVersion() throws Exception {
        String version = System.getProperty("dualwrite.version");
        Path jar = ROOT.resolve("dualwrite-core/target/dualwrite-core-" + version + ".jar");
        Assumptions.assumeTrue(Files.exists(jar), () -> "the modules were not packaged in this build (run the whole"
                + " build: ./mvnw verify)");
        Assumptions.assumeTrue(redisListens(), "no Redis on localhost:6379: the user project's cache needs one");

        deleteTree(WORK);
        copyTree(SOURCE, WORK);
        Path repository = WORK.resolve("dualwrite-repository");
        publish(ROOT.resolve("pom.xml"), null, "dualwrite-parent", version, repository);
        publish(ROOT.resolve("dualwrite-bom/pom.xml"), null, "dualwrite-bom", version, repository);
        for (String module : PUBLISHED) {
            publish(ROOT.resolve(module).resolve("pom.xml"),
                    ROOT.resolve(module).resolve("target").resolve(module + "-" + version + ".jar"), module, version,
                    repository);
        }
        Path localRepository = WORK.resolve("local-repository");
        Files.createDirectories(localRepository);
        Path settings = WORK.resolve("settings.xml");
        Files.writeString(settings, settings(repository, Path.of(System.getProperty("build.localRepository"))));

        Path log = WORK.resolve("build.log");
        Process maven = new ProcessBuilder(ROOT.resolve("mvnw").toString(), "-B", "-s", settings.toString(),
                "-Dmaven.repo.local=" + localRepository, "-f", WORK.resolve("pom.xml").toString(), "test")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(maven.waitFor(5, TimeUnit.MINUTES), "the user project's build finished within 5 minutes");
        assertEquals(0, maven.exitValue(), () -> "the user project's build succeeded; its log:\n" + tail(log));

        String report = read(WORK.resolve("target/surefire-reports/TEST-com.example.catalog.CatalogAppTest.xml"));
        assertTrue(report.contains("tests=\"2\"") && report.contains("failures=\"0\"")
                && report.contains("errors=\"0\"") && report.contains("skipped=\"0\""),
                () -> "both tests of the user project ran and passed: " + report.substring(0, 400));

        // the local repository started empty, so the Netty jars in it are exactly those on the user's classpath
        Set<String> netty = new TreeSet<>();
        try (Stream<Path> files = Files.walk(localRepository.resolve("io/netty"))) {
            files.filter(f -> f.toString().endsWith(".jar"))
                    .forEach(f -> netty.add(f.getParent().getFileName().toString()));
        }
        assertEquals(1, netty.size(), () -> "one Netty version on a user's classpath, found " + netty);
        assertTrue(Files.notExists(localRepository.resolve("junit/junit")),
                "no JUnit 4 on a user's classpath (Testcontainers 2 no longer brings it)");
    }

    /** Lays out one artifact as a Maven repository holds it: the pom, and the jar beside it when there is one. */
    private static void publish(Path pom, Path jar, String artifactId, String version, Path repository)
            throws IOException {
        Path dir = repository.resolve("io/dualwrite").resolve(artifactId).resolve(version);
        Files.createDirectories(dir);
        Files.copy(pom, dir.resolve(artifactId + "-" + version + ".pom"), StandardCopyOption.REPLACE_EXISTING);
        if (jar != null) {
            Files.copy(jar, dir.resolve(artifactId + "-" + version + ".jar"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String settings(Path dualwrite, Path cache) {
        String repositories = repository("dualwrite", dualwrite, true) + repository("build-cache", cache, false);
        return """
                <settings>
                  <profiles>
                    <profile>
                      <id>user-project</id>
                      <repositories>%s</repositories>
                      <pluginRepositories>%s</pluginRepositories>
                    </profile>
                  </profiles>
                  <activeProfiles><activeProfile>user-project</activeProfile></activeProfiles>
                </settings>
                """.formatted(repositories, repositories.replace("repository>", "pluginRepository>"));
    }

    private static String repository(String id, Path dir, boolean snapshots) {
        return "<repository><id>" + id + "</id><url>" + dir.toUri() + "</url>"
                + "<releases><enabled>" + !snapshots + "</enabled></releases>"
                + "<snapshots><enabled>" + snapshots + "</enabled></snapshots></repository>";
    }

    private static boolean redisListens() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", 6379), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(f);
            }
        }
    }
}
