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
package io.dualwrite.http.internal;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A URL template with the placeholders {@code {type}}, {@code {id}} and {@code {version}}, each
 * replaced by its value percent-encoded as one path segment (so an id holding {@code /} or
 * {@code ?} cannot change the URL's shape). Immutable and thread-safe.
 */
public final class UriTemplate {
    private final String template;

    /**
     * @param template an absolute http or https URL with placeholders
     * @throws IllegalArgumentException if the template with sample values is not an absolute http(s) URL
     */
    public UriTemplate(String template) {
        this.template = Objects.requireNonNull(template, "template");
        URI sample = expand("type", "id", 1);
        if (!sample.isAbsolute() || !("http".equalsIgnoreCase(sample.getScheme()) || "https".equalsIgnoreCase(sample.getScheme()))) {
            throw new IllegalArgumentException("a URL template must be an absolute http or https URL: " + template);
        }
    }

    /**
     * @param type    the entity type
     * @param id      the entity id
     * @param version the version
     * @return the URL
     * @throws IllegalArgumentException if the result is not a valid URI
     */
    public URI expand(String type, String id, long version) {
        String s = template.replace("{type}", segment(type)).replace("{id}", segment(id))
                .replace("{version}", Long.toString(version));
        return URI.create(s);
    }

    /** @return the template */
    public String template() {
        return template;
    }

    private static String segment(String value) {
        // URLEncoder encodes for forms: a space becomes '+', which a path must carry as %20
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Override
    public String toString() {
        return template;
    }
}
