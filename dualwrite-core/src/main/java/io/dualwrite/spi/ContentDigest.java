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
package io.dualwrite.spi;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.POJONode;

import io.dualwrite.internal.Args;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The digest of one entity's content as a sink holds it, for
 * {@link ContentDigestingSink}: equal digests mean equal content. The factories give the
 * SHA-256 of a canonical byte form as 64 lowercase hex digits, the same in every process, run and
 * Java version; a sink may use any other form that keeps the promises of
 * {@link ContentDigestingSink}.
 *
 * <p><b>Canonical JSON</b> ({@link #canonicalJson(JsonNode)}), for sinks that store JSON, so the
 * order of fields, whitespace and number formatting the destination returns do not count:
 * <ul>
 *   <li>an object is {@code {"k":v,...}} with its members sorted by key in {@link String#compareTo}
 *       order (UTF-16 code units, as RFC 8785); an array keeps its order; no whitespace;</li>
 *   <li>a string is quoted, with {@code "} and {@code \} escaped, the control characters below
 *       U+0020 written {@code \b \f \n \r \t} or <code>&#92;u00XX</code> (lowercase hex), everything else as
 *       it is, in UTF-8;</li>
 *   <li>an integer written without fraction or exponent is kept exact, of any size; every other
 *       number is taken as the IEEE 754 double it denotes, as JSON parsers do: an integral double
 *       ({@code 7.0}, {@code 7e0}) is written as a plain integer ({@code 7}), any other as its exact
 *       decimal value, trailing zeros stripped, in {@link BigDecimal#toString()} form ({@code 0.1}
 *       is written {@code 0.1000000000000000055511151231257827021181583404541015625}), which no
 *       Java version formats differently; a number beyond the range of a double is written as the
 *       string of its Java value ({@code "Infinity"});</li>
 *   <li>{@code true}, {@code false} and {@code null} as they are; binary values as their Base64
 *       string; any other Java value in a tree is first written by a plain Jackson mapper.</li>
 * </ul>
 * A float held in a tree (a {@code FloatNode}) is taken at its double value, which differs from
 * the text a mapper writes for it: digest the JSON text a sink sends ({@link #ofJson(String)}),
 * not a tree made from the entity.
 *
 * <p>Immutable and thread-safe.
 *
 * @param value the digest, not blank: 64 lowercase hex digits when made by the factories
 */
public record ContentDigest(String value) {
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /**
     * @param value the digest
     * @throws NullPointerException     if value is null
     * @throws IllegalArgumentException if it is blank
     */
    public ContentDigest {
        Objects.requireNonNull(value, "value");
        Args.notBlank(value, "a content digest");
    }

    /**
     * @param canonical the canonical byte form of some content, not null
     * @return its SHA-256
     */
    public static ContentDigest sha256(byte[] canonical) {
        Objects.requireNonNull(canonical, "canonical");
        try {
            return new ContentDigest(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }

    /**
     * @param json JSON text of any form (field order, whitespace, number formatting), not null
     * @return the SHA-256 of its {@linkplain #canonicalJson canonical form}
     * @throws IllegalArgumentException if the text is not JSON
     */
    public static ContentDigest ofJson(String json) {
        Objects.requireNonNull(json, "json");
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
        return ofJson(node);
    }

    /**
     * @param json a JSON tree, not null (see the note on floats above)
     * @return the SHA-256 of its {@linkplain #canonicalJson canonical form}
     */
    public static ContentDigest ofJson(JsonNode json) {
        return sha256(canonicalJson(json).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param json a JSON tree, not null
     * @return its canonical form, as described above
     */
    public static String canonicalJson(JsonNode json) {
        Objects.requireNonNull(json, "json");
        StringBuilder out = new StringBuilder(256);
        write(json, out);
        return out.toString();
    }

    private static void write(JsonNode node, StringBuilder out) {
        switch (node.getNodeType()) {
            case OBJECT:
                List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(node.size());
                node.fields().forEachRemaining(fields::add);
                fields.sort(Map.Entry.comparingByKey());
                out.append('{');
                for (int i = 0; i < fields.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    string(fields.get(i).getKey(), out);
                    out.append(':');
                    write(fields.get(i).getValue(), out);
                }
                out.append('}');
                return;
            case ARRAY:
                out.append('[');
                for (int i = 0; i < node.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    write(node.get(i), out);
                }
                out.append(']');
                return;
            case STRING:
                string(node.textValue(), out);
                return;
            case NUMBER:
                number(node, out);
                return;
            case BOOLEAN:
                out.append(node.booleanValue());
                return;
            case BINARY:
                try {
                    string(Base64.getEncoder().encodeToString(node.binaryValue()), out);
                } catch (IOException e) {
                    throw new IllegalArgumentException("unreadable binary value", e);
                }
                return;
            case POJO:
                write(JSON.valueToTree(((POJONode) node).getPojo()), out);
                return;
            default: // NULL and MISSING
                out.append("null");
        }
    }

    private static void number(JsonNode node, StringBuilder out) {
        if (node.isIntegralNumber()) {
            out.append(node.bigIntegerValue());
            return;
        }
        double v = node.doubleValue();
        if (!Double.isFinite(v)) {
            string(Double.toString(v), out);
            return;
        }
        BigDecimal exact = new BigDecimal(v);
        if (exact.signum() == 0 || exact.stripTrailingZeros().scale() <= 0) {
            out.append(exact.toBigInteger());
        } else {
            out.append(exact.stripTrailingZeros());
        }
    }

    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    out.append("\\\"");
                    break;
                case '\\':
                    out.append("\\\\");
                    break;
                case '\b':
                    out.append("\\b");
                    break;
                case '\f':
                    out.append("\\f");
                    break;
                case '\n':
                    out.append("\\n");
                    break;
                case '\r':
                    out.append("\\r");
                    break;
                case '\t':
                    out.append("\\t");
                    break;
                default:
                    if (c < 0x20) {
                        out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }

    /** @return the digest's value */
    @Override
    public String toString() {
        return value;
    }
}
