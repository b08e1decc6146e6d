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

import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * "-Ddualwrite.api.baseline=V" compares every published module's API with release V and fails the build on an
 * incompatible change (docs/releasing.md). The profile must switch on by that property alone, compare with the
 * module's own jar of that version, break the build on binary and source incompatibilities, leave the internal
 * packages out and skip the modules that are never published.
 */
class ApiCheckProfileTest {
    private static final Path PARENT = Path.of("..").toAbsolutePath().normalize().resolve("pom.xml");

    @Test
    void theApiCheckComparesEveryPublishedModuleWithTheGivenReleaseAndBreaksOnIncompatibleChanges() throws Exception {
        Element project = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(PARENT.toFile())
                .getDocumentElement();
        XPath xpath = XPathFactory.newInstance().newXPath();
        Element profile = (Element) xpath.evaluate("/project/profiles/profile[id='api-check']", project,
                XPathConstants.NODE);
        assertNotNull(profile, "dualwrite-parent has an 'api-check' profile");
        assertEquals("dualwrite.api.baseline", text(xpath, profile, "activation/property/name"),
                "the profile switches on when the previous release is given");
        Element plugin = (Element) xpath.evaluate("build/plugins/plugin[artifactId='japicmp-maven-plugin']", profile,
                XPathConstants.NODE);
        assertNotNull(plugin, "the profile runs japicmp");
        assertEquals("verify", text(xpath, plugin, "executions/execution/phase"));
        assertEquals("cmp", text(xpath, plugin, "executions/execution/goals/goal"));
        assertEquals("${project.artifactId}", text(xpath, plugin, "configuration/oldVersion/dependency/artifactId"),
                "each module is compared with its own previous jar");
        assertEquals("${dualwrite.api.baseline}", text(xpath, plugin, "configuration/oldVersion/dependency/version"));
        assertEquals("${maven.deploy.skip}", text(xpath, plugin, "configuration/skip"),
                "the modules that are never published are skipped");
        assertEquals("true", text(xpath, plugin, "configuration/parameter/breakBuildOnBinaryIncompatibleModifications"));
        assertEquals("true", text(xpath, plugin, "configuration/parameter/breakBuildOnSourceIncompatibleModifications"));
        List<String> excludes = new ArrayList<>();
        NodeList nodes = (NodeList) xpath.evaluate("configuration/parameter/excludes/exclude", plugin,
                XPathConstants.NODESET);
        for (int i = 0; i < nodes.getLength(); i++) {
            excludes.add(nodes.item(i).getTextContent().trim());
        }
        assertTrue(excludes.contains("*.internal.*") && excludes.contains("*.internal"),
                "the internal packages are not API: " + excludes);
        String version = text(xpath, project, "properties/japicmp.version");
        assertEquals("${japicmp.version}", text(xpath, plugin, "version"),
                "the plugin's version is managed once in the parent's properties (" + version + ")");
    }

    private static String text(XPath xpath, Node from, String path) throws Exception {
        return ((String) xpath.evaluate(path, from, XPathConstants.STRING)).trim();
    }
}
