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

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * "./mvnw -P release deploy" signs every published artifact and puts it in the bundle uploaded to Central's portal.
 * The BOM is published too, but it is not a child of dualwrite-parent, where the release profile lives: it must
 * carry the signing and publishing plugins itself, or Central refuses the bundle (an unsigned pom) and the BOM's own
 * deploy has no repository to go to.
 */
class BomReleaseProfileTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void theBomIsSignedAndPublishedByTheReleaseProfile() throws Exception {
        String bom = Files.readString(ROOT.resolve("dualwrite-bom").resolve("pom.xml"));
        boolean inheritsRelease = bom.contains("<artifactId>dualwrite-parent</artifactId>");
        assertTrue(inheritsRelease || bom.contains("<id>release</id>"),
                "dualwrite-bom has (or inherits) a 'release' profile");
        assertTrue(inheritsRelease || bom.contains("maven-gpg-plugin"), "the release profile signs the BOM");
        assertTrue(inheritsRelease || bom.contains("central-publishing-maven-plugin"),
                "the release profile puts the BOM in the bundle uploaded to Central");
        String parent = Files.readString(ROOT.resolve("pom.xml"));
        for (String property : new String[]{"gpg-plugin.version", "central-publishing.version"}) {
            String version = parent.split("<" + property + ">")[1].split("<")[0];
            assertTrue(inheritsRelease || bom.contains("<version>" + version + "</version>"),
                    "the BOM's release plugins are the parent's " + property + " " + version);
        }
    }
}
