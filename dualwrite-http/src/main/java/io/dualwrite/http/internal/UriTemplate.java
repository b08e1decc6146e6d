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
