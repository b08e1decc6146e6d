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
package io.dualwrite.examples.spring.catalog;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's quick start is this example's own code: every line of each of its snippets stands in the source file
 * it comes from (whitespace aside), so the quick start cannot drift from code that builds and passes its test.
 */
class QuickStartTest {
    private static final Path MODULE = Path.of("").toAbsolutePath();
    private static final Pattern BLOCK = Pattern.compile("```(xml|properties|java)\\n(.*?)```", Pattern.DOTALL);

    @Test
    void everyQuickStartSnippetStandsInTheExamplesSources() throws IOException {
        String readme = Files.readString(MODULE.resolve("README.md"));
        String quickStart = readme.substring(readme.indexOf("## Spring Boot quick start"));
        Matcher m = BLOCK.matcher(quickStart);
        List<String> kinds = new ArrayList<>();
        while (m.find()) {
            kinds.add(m.group(1));
            String source = normalize(Files.readString(sourceOf(m.group(1), m.group(2))));
            for (String line : m.group(2).split("\n")) {
                String l = line.strip();
                if (!l.isEmpty()) {
                    assertTrue(source.contains(l), "the quick start's line '" + l + "' is not in the "
                            + m.group(1) + " source it shows");
                }
            }
        }
        assertEquals(List.of("xml", "properties", "java", "java"), kinds, "dependency, properties, marker, sinks");
    }

    private static Path sourceOf(String kind, String snippet) {
        Path java = MODULE.resolve("src/main/java/io/dualwrite/examples/spring/catalog");
        return switch (kind) {
            case "xml" -> MODULE.resolve("pom.xml");
            case "properties" -> MODULE.resolve("src/main/resources/application.properties");
            default -> snippet.contains("@DualWritten") ? java.resolve("ProductRepository.java")
                    : java.resolve("CatalogSinks.java");
        };
    }

    private static String normalize(String source) {
        StringBuilder b = new StringBuilder();
        for (String line : source.split("\n")) {
            b.append(line.strip()).append('\n');
        }
        return b.toString();
    }
}
