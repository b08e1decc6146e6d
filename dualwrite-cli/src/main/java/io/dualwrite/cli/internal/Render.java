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
package io.dualwrite.cli.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import picocli.CommandLine.Help.Ansi;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Prints what a command found, from one model for both formats: a report is an ordered map of sections, each a
 * list of rows (a table), one record (key and value lines) or a line of text. Tables fit the terminal's width
 * ({@code COLUMNS}, else {@value #DEFAULT_WIDTH}) by cutting their widest columns; colours appear only where picocli
 * sees a terminal. JSON keeps numbers as numbers, times as ISO-8601 and durations in seconds. Not thread-safe.
 */
final class Render {
    /** The width tables fit when the terminal does not say its own. */
    static final int DEFAULT_WIDTH = 120;
    private static final int MIN_COLUMN = 8;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'")
            .withZone(ZoneOffset.UTC);
    private static final Set<String> BAD = Set.of("PERMANENT", "dead-lettered again", "not armed", "not found");
    private static final Set<String> WARN = Set.of("TRANSIENT", "UNKNOWN_OUTCOME", "still pending", "already pending");
    private static final Set<String> GOOD = Set.of("delivered", "armed", "discarded");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The output formats; lower-case so that help and completion show what is typed. */
    enum Format {
        table, json
    }

    private final PrintWriter out;
    private final Format format;
    private final Ansi ansi;
    private final int width;

    Render(PrintWriter out, Format format, Ansi ansi, int width) {
        this.out = out;
        this.format = format;
        this.ansi = ansi;
        this.width = Math.max(40, width);
    }

    /** @return the terminal's width as the shell tells it, or {@link #DEFAULT_WIDTH} */
    static int terminalWidth() {
        String columns = System.getenv("COLUMNS");
        try {
            return columns == null ? DEFAULT_WIDTH : Integer.parseInt(columns.trim());
        } catch (NumberFormatException e) {
            return DEFAULT_WIDTH;
        }
    }

    /** @param report sections by title, in order */
    void print(Map<String, Object> report) {
        if (format == Format.json) {
            try {
                out.println(JSON.writeValueAsString(jsonValue(report)));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot write JSON", e);
            }
        } else {
            boolean first = true;
            for (Map.Entry<String, Object> section : report.entrySet()) {
                if (!first) {
                    out.println();
                }
                first = false;
                printSection(section.getKey(), section.getValue());
            }
        }
        out.flush();
    }

    @SuppressWarnings("unchecked")
    private void printSection(String title, Object value) {
        if (value instanceof List<?> rows) {
            out.println(ansi.string("@|bold " + title + "|@") + " (" + rows.size() + ")");
            if (!rows.isEmpty()) {
                printTable((List<Map<String, Object>>) rows);
            }
        } else if (value instanceof Map<?, ?> record) {
            out.println(ansi.string("@|bold " + title + "|@"));
            int keyWidth = record.keySet().stream().mapToInt(k -> k.toString().length()).max().orElse(0);
            int room = Math.max(MIN_COLUMN, width - keyWidth - 4);
            for (Map.Entry<?, ?> e : record.entrySet()) {
                String key = pad(e.getKey().toString(), keyWidth);
                String cell = cell(e.getValue());
                // a record shows every character: long values wrap under themselves
                for (int from = 0; from == 0 || from < cell.length(); from += room) {
                    String part = cell.substring(from, Math.min(cell.length(), from + room));
                    out.println("  " + (from == 0 ? key : " ".repeat(keyWidth)) + "  " + colour(cell, part));
                }
            }
        } else {
            out.println(title.isEmpty() ? cell(value) : title + ": " + cell(value));
        }
    }

    private void printTable(List<Map<String, Object>> rows) {
        List<String> columns = new ArrayList<>(rows.get(0).keySet());
        int n = columns.size();
        int[] w = new int[n];
        List<String[]> cells = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            w[i] = columns.get(i).length();
        }
        for (Map<String, Object> row : rows) {
            String[] c = new String[n];
            for (int i = 0; i < n; i++) {
                c[i] = cell(row.get(columns.get(i))).replace('\n', ' ');
                w[i] = Math.max(w[i], c[i].length());
            }
            cells.add(c);
        }
        fit(w);
        StringBuilder header = new StringBuilder();
        for (int i = 0; i < n; i++) {
            header.append(i == 0 ? "" : "  ").append(pad(cut(columns.get(i), w[i]), i == n - 1 ? 0 : w[i]));
        }
        out.println(ansi.string("@|faint " + header + "|@"));
        for (String[] c : cells) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < n; i++) {
                String text = pad(cut(c[i], w[i]), i == n - 1 ? 0 : w[i]);
                line.append(i == 0 ? "" : "  ").append(colour(c[i], text));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    /** Narrows the widest columns until the row fits the width. */
    private void fit(int[] w) {
        int total = 2 * (w.length - 1);
        for (int x : w) {
            total += x;
        }
        while (total > width) {
            int widest = 0;
            for (int i = 1; i < w.length; i++) {
                if (w[i] > w[widest]) {
                    widest = i;
                }
            }
            if (w[widest] <= MIN_COLUMN) {
                return;
            }
            int cut = Math.min(total - width, w[widest] - Math.max(MIN_COLUMN, secondWidest(w, widest)));
            cut = Math.max(1, cut);
            w[widest] -= cut;
            total -= cut;
        }
    }

    private static int secondWidest(int[] w, int widest) {
        int second = 0;
        for (int i = 0; i < w.length; i++) {
            if (i != widest) {
                second = Math.max(second, w[i]);
            }
        }
        return second;
    }

    private String colour(String value, String text) {
        if (BAD.contains(value)) {
            return ansi.string("@|red " + text + "|@");
        }
        if (WARN.contains(value)) {
            return ansi.string("@|yellow " + text + "|@");
        }
        if (GOOD.contains(value)) {
            return ansi.string("@|green " + text + "|@");
        }
        return text;
    }

    private static String pad(String s, int w) {
        return s.length() >= w ? s : s + " ".repeat(w - s.length());
    }

    private static String cut(String s, int w) {
        return s.length() <= w ? s : s.substring(0, Math.max(0, w - 1)) + "…";
    }

    /** @return a value as a table shows it */
    static String cell(Object v) {
        if (v == null) {
            return "-";
        }
        if (v instanceof Instant i) {
            return TIME.format(i);
        }
        if (v instanceof Duration d) {
            return Times.human(d);
        }
        if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                return "-";
            }
            StringBuilder b = new StringBuilder();
            m.forEach((k, x) -> b.append(b.length() == 0 ? "" : ", ").append(k).append(' ').append(cell(x)));
            return b.toString();
        }
        if (v instanceof List<?> l) {
            StringBuilder b = new StringBuilder();
            l.forEach(x -> b.append(b.length() == 0 ? "" : ", ").append(cell(x)));
            return b.length() == 0 ? "-" : b.toString();
        }
        return v.toString();
    }

    /** @return a value as JSON holds it */
    static Object jsonValue(Object v) {
        if (v instanceof Instant i) {
            return i.toString();
        }
        if (v instanceof Duration d) {
            return d.toMillis() / 1000.0;
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(k.toString(), jsonValue(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(x -> out.add(jsonValue(x)));
            return out;
        }
        if (v instanceof Enum<?> e) {
            return e.name();
        }
        return v;
    }
}
