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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the build produced for each published module is what Maven Central accepts: the jar with a module name, a
 * sources jar, a javadoc jar of the public API only (no implementation package), and a pom that (with its parent)
 * names the project, its url, licence, developers and source repository. Runs after every published module was
 * packaged in the same build (this module depends on their poms for that order).
 */
class PublishedArtifactsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    /** Every module the BOM manages, so every artifact a user can depend on. */
    static final List<String> PUBLISHED = List.of("dualwrite-core", "dualwrite-testkit", "dualwrite-mongo",
            "dualwrite-redis", "dualwrite-jdbc", "dualwrite-http", "dualwrite-opensearch", "dualwrite-kafka",
            "dualwrite-cli", "dualwrite-spring-boot-autoconfigure", "dualwrite-spring-boot-starter");

    /** Modules that hold no code: a dependency set whose sources and javadoc jars carry a README instead. */
    private static final Set<String> NO_CODE = Set.of("dualwrite-spring-boot-starter");

    static List<String> published() {
        return PUBLISHED;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("published")
    void eachModuleHasItsJarSourcesJavadocAndMetadata(String module) throws Exception {
        Path target = ROOT.resolve(module).resolve("target");
        // the command line's runnable jar (classifier "all") is published beside its plain jar
        Path jar = only(target, module + "-", ".jar", "-sources.jar", "-javadoc.jar", "-tests.jar", "-all.jar");
        Assumptions.assumeTrue(jar != null, () -> module + " was not packaged in this build (run the whole build:"
                + " ./mvnw verify)");
        String version = jar.getFileName().toString().substring(module.length() + 1).replace(".jar", "");
        boolean code = !NO_CODE.contains(module);
        try (JarFile j = new JarFile(jar.toFile())) {
            Manifest m = j.getManifest();
            assertNotNull(m, module + ": a manifest");
            String name = m.getMainAttributes().getValue("Automatic-Module-Name");
            assertNotNull(name, module + ": an Automatic-Module-Name");
            assertTrue(name.startsWith("io.dualwrite."), module + ": " + name);
            assertEquals(code, j.stream().anyMatch(e -> e.getName().endsWith(".class")), module + ": classes");
        }
        Path sources = target.resolve(module + "-" + version + "-sources.jar");
        assertTrue(Files.exists(sources), module + ": a sources jar");
        try (JarFile j = new JarFile(sources.toFile())) {
            assertTrue(code ? j.stream().anyMatch(e -> e.getName().endsWith(".java")) : j.getEntry("README.md") != null,
                    module + (code ? ": sources" : ": a README in place of sources"));
        }
        Path javadoc = target.resolve(module + "-" + version + "-javadoc.jar");
        assertTrue(Files.exists(javadoc), module + ": a javadoc jar");
        try (JarFile j = new JarFile(javadoc.toFile())) {
            assertNotNull(j.getEntry(code ? "index.html" : "README.md"),
                    module + (code ? ": javadoc" : ": a README in place of javadoc"));
            List<String> internal = j.stream().map(e -> e.getName())
                    .filter(n -> n.contains("/internal/") && n.endsWith(".html")).limit(3).toList();
            assertEquals(List.of(), internal, module + ": the javadoc holds the public API only");
        }
        Element pom = pom(ROOT.resolve(module).resolve("pom.xml"));
        assertFalse(text(pom, "name").isBlank(), module + ": a name");
        assertFalse(text(pom, "description").isBlank(), module + ": a description");
        assertEquals("dualwrite-parent", text(child(pom, "parent"), "artifactId"), module + ": the parent carries the rest");
        Element parent = pom(ROOT.resolve("pom.xml"));
        assertCentralMetadata(parent, "dualwrite-parent");
        // otherwise Maven appends the module's name to the inherited urls, which then point nowhere
        assertEquals("false", parent.getAttribute("child.project.url.inherit.append.path"), "the project url as is");
        assertEquals("false", child(parent, "scm").getAttribute("child.scm.url.inherit.append.path"), "the scm url as is");
    }

    /** Every published module's javadoc is made in the normal build, which fails on any warning of the public API. */
    @org.junit.jupiter.api.Test
    void javadocOfThePublicApiFailsTheBuildOnAnyWarning() throws Exception {
        Element javadoc = null;
        Node plugins = child(child(pom(ROOT.resolve("pom.xml")), "build"), "plugins");
        for (Node n = plugins.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals("plugin")
                    && text(e, "artifactId").equals("maven-javadoc-plugin")) {
                javadoc = child(e, "configuration");
            }
        }
        assertNotNull(javadoc, "the parent builds javadoc in every module");
        assertEquals("true", text(javadoc, "failOnWarnings"), "a warning fails the build");
        assertEquals("all", text(javadoc, "doclint"), "every doclint group is checked, missing comments included");
        assertTrue(text(javadoc, "excludePackageNames").contains("*.internal"), "implementation packages are left out");
        for (String module : PUBLISHED) {
            String own = Files.readString(ROOT.resolve(module).resolve("pom.xml"));
            assertFalse(own.contains("maven.javadoc.skip") || own.contains("<failOnWarnings>false"),
                    module + " does not turn the check off");
        }
    }

    @org.junit.jupiter.api.Test
    void theBomCarriesItsOwnMetadata() throws Exception {
        Element bom = pom(ROOT.resolve("dualwrite-bom").resolve("pom.xml"));
        assertFalse(text(bom, "name").isBlank());
        assertFalse(text(bom, "description").isBlank());
        assertCentralMetadata(bom, "dualwrite-bom");
        List<String> managed = new ArrayList<>();
        Node deps = child(child(bom, "dependencyManagement"), "dependencies");
        for (Node n = deps.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals("dependency")) {
                managed.add(text(e, "artifactId"));
            }
        }
        assertEquals(PUBLISHED.stream().sorted().toList(), managed.stream().sorted().toList(),
                "the BOM manages exactly the published modules");
    }

    private static void assertCentralMetadata(Element pom, String what) {
        assertFalse(text(pom, "url").isBlank(), what + ": a project url");
        Element license = child(child(pom, "licenses"), "license");
        assertFalse(text(license, "name").isBlank(), what + ": a licence name");
        assertFalse(text(license, "url").isBlank(), what + ": a licence url");
        assertFalse(text(child(child(pom, "developers"), "developer"), "name").isBlank(), what + ": a developer");
        Element scm = child(pom, "scm");
        assertFalse(text(scm, "url").isBlank(), what + ": an scm url");
        assertFalse(text(scm, "connection").isBlank(), what + ": an scm connection");
    }

    /** @return the one file in dir named prefix*suffix that ends with none of the others, or null */
    private static Path only(Path dir, String prefix, String suffix, String... not) throws IOException {
        if (!Files.isDirectory(dir)) {
            return null;
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> found = files.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(prefix) && n.endsWith(suffix) && Stream.of(not).noneMatch(n::endsWith);
            }).toList();
            return found.size() == 1 ? found.get(0) : null;
        }
    }

    private static Element pom(Path file) throws Exception {
        Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
        return d.getDocumentElement();
    }

    private static Element child(Element parent, String tag) {
        assertNotNull(parent, "no element to look for <" + tag + "> in");
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(tag)) {
                return e;
            }
        }
        throw new AssertionError("<" + parent.getTagName() + "> has no <" + tag + ">");
    }

    private static String text(Element parent, String tag) {
        return child(parent, tag).getTextContent().trim();
    }
}
