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
package io.dualwrite.examples.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Java block of README.md and docs/*.md marked with {@code <!-- snippet: name -->} (on the
 * line before its opening fence) must equal the region between {@code // tag::name[]} and
 * {@code // end::name[]} in the example sources, compared line by line with surrounding
 * whitespace and blank lines ignored. The examples are compiled and run by the build, so a marked
 * snippet cannot drift from the API.
 */
class DocSnippetsTest {
    private static final Pattern MARKER = Pattern.compile("^\\s*<!--\\s*snippet:\\s*([\\w.-]+)\\s*-->\\s*$");
    private static final Pattern TAG = Pattern.compile("^\\s*//\\s*tag::([\\w.-]+)\\[]\\s*$");
    private static final Pattern END = Pattern.compile("^\\s*//\\s*end::([\\w.-]+)\\[]\\s*$");

    private static Path root() {
        return Paths.get(System.getProperty("dualwrite.repo.root", "..")).toAbsolutePath().normalize();
    }

    @Test
    void everyMarkedSnippetEqualsItsTaggedRegion() throws IOException {
        Map<String, List<String>> regions = taggedRegions(root().resolve("examples/src"));
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (Path doc : docs()) {
            for (Map.Entry<String, List<String>> snippet : markedSnippets(doc, failures).entrySet()) {
                checked++;
                String where = root().relativize(doc) + ", snippet '" + snippet.getKey() + "'";
                List<String> source = regions.get(snippet.getKey());
                if (source == null) {
                    failures.add(where + ": no region tagged '" + snippet.getKey() + "' in examples/src");
                    continue;
                }
                List<String> expected = normalise(source);
                List<String> actual = normalise(snippet.getValue());
                if (!expected.equals(actual)) {
                    failures.add(where + " differs from its tagged region (- doc, + source):\n" + diff(actual, expected));
                }
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " snippet problem(s):\n\n" + String.join("\n\n", failures));
        }
        System.out.println("checked " + checked + " marked snippets in " + docs().size() + " Markdown files");
        assertTrue(checked >= 2, "README.md and docs must mark their snippets; found " + checked);
    }

    @Test
    void readmeAndOperationsMarkTheirJavaSnippets() throws IOException {
        List<String> failures = new ArrayList<>();
        assertTrue(markedSnippets(root().resolve("README.md"), failures).keySet().containsAll(
                List.of("smallest", "write-ahead")), "README.md marks its two examples");
        assertTrue(markedSnippets(root().resolve("docs/operations.md"), failures).keySet().containsAll(
                List.of("ops-dead-letters", "ops-shadow", "ops-ramp", "ops-sync")), "docs/operations.md marks its snippets");
        assertEquals(List.of(), failures, "markers must precede a Java block");
    }

    @Test
    void aChangedSnippetIsReportedWithItsDifference() {
        List<String> doc = List.of("writer.save(p);", "  writer.delete(\"p-1\");");
        List<String> source = List.of("writer.save(p);", "writer.delete(\"p-2\");");
        String d = diff(normalise(doc), normalise(source));
        assertTrue(d.contains("- writer.delete(\"p-1\");") && d.contains("+ writer.delete(\"p-2\");"),
                "the diff names the changed line on both sides:\n" + d);
        assertEquals(normalise(List.of("  a  b", "", "c")), normalise(List.of("a b", "c  ")),
                "surrounding and repeated whitespace and blank lines are not differences");
    }

    private static List<Path> docs() throws IOException {
        List<Path> docs = new ArrayList<>();
        docs.add(root().resolve("README.md"));
        try (Stream<Path> s = Files.list(root().resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        return docs;
    }

    /** The Java blocks of one Markdown file that a marker names, by name. */
    private static Map<String, List<String>> markedSnippets(Path doc, List<String> failures) throws IOException {
        List<String> lines = Files.readAllLines(doc, StandardCharsets.UTF_8);
        Map<String, List<String>> snippets = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = MARKER.matcher(lines.get(i));
            if (!m.matches()) {
                continue;
            }
            String name = m.group(1);
            int fence = i + 1;
            while (fence < lines.size() && lines.get(fence).isBlank()) {
                fence++;
            }
            if (fence >= lines.size() || !lines.get(fence).trim().equals("```java")) {
                failures.add(root().relativize(doc) + " line " + (i + 1) + ": snippet '" + name
                        + "' is not followed by a ```java block");
                continue;
            }
            List<String> body = new ArrayList<>();
            int j = fence + 1;
            while (j < lines.size() && !lines.get(j).trim().equals("```")) {
                body.add(lines.get(j++));
            }
            if (snippets.put(name, body) != null) {
                failures.add(root().relativize(doc) + ": snippet '" + name + "' is marked twice");
            }
        }
        return snippets;
    }

    /** Every tagged region of the Java sources under a directory, by tag. */
    private static Map<String, List<String>> taggedRegions(Path dir) throws IOException {
        Map<String, List<String>> regions = new LinkedHashMap<>();
        List<Path> sources;
        try (Stream<Path> s = Files.walk(dir)) {
            sources = s.filter(p -> p.toString().endsWith(".java")).sorted().collect(Collectors.toList());
        }
        for (Path source : sources) {
            List<String> lines = Files.readAllLines(source, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = TAG.matcher(lines.get(i));
                if (!m.matches()) {
                    continue;
                }
                String name = m.group(1);
                List<String> body = new ArrayList<>();
                int j = i + 1;
                while (j < lines.size() && !matches(END, lines.get(j), name)) {
                    body.add(lines.get(j++));
                }
                if (j == lines.size()) {
                    throw new IllegalStateException(source + ": tag::" + name + "[] has no end::" + name + "[]");
                }
                if (regions.put(name, body) != null) {
                    throw new IllegalStateException("the tag '" + name + "' is defined twice (again in " + source + ")");
                }
            }
        }
        return regions;
    }

    private static boolean matches(Pattern p, String line, String name) {
        Matcher m = p.matcher(line);
        return m.matches() && m.group(1).equals(name);
    }

    /** Trims each line, collapses runs of whitespace, drops blank lines. */
    static List<String> normalise(List<String> lines) {
        return lines.stream().map(l -> l.trim().replaceAll("\\s+", " ")).filter(l -> !l.isEmpty())
                .collect(Collectors.toList());
    }

    /** A line diff by longest common subsequence: "  " same, "- " only in a, "+ " only in b. */
    static String diff(List<String> a, List<String> b) {
        int[][] lcs = new int[a.size() + 1][b.size() + 1];
        for (int i = a.size() - 1; i >= 0; i--) {
            for (int j = b.size() - 1; j >= 0; j--) {
                lcs[i][j] = a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        StringBuilder out = new StringBuilder();
        int i = 0;
        int j = 0;
        while (i < a.size() || j < b.size()) {
            if (i < a.size() && j < b.size() && a.get(i).equals(b.get(j))) {
                out.append("  ").append(a.get(i++)).append('\n');
                j++;
            } else if (j < b.size() && (i == a.size() || lcs[i][j + 1] >= lcs[i + 1][j])) {
                out.append("+ ").append(b.get(j++)).append('\n');
            } else {
                out.append("- ").append(a.get(i++)).append('\n');
            }
        }
        return out.toString();
    }
}
