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
package io.dualwrite.http;

import io.dualwrite.Change;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Extra headers for each request (authentication, tenant, trace context). Called while the sink
 * maps a change ({@link HttpSink#map}), once per delivery and before it is sent, on the thread that
 * delivers it (for a {@code save}, the caller's own thread), so a supplier may read thread-bound
 * context such as the current trace span; every attempt of that delivery sends the same headers.
 * This is mapping code: it must not do I/O (keep a credential that needs refreshing up to date
 * elsewhere and return its current value), and a supplier that throws fails the change as a
 * mapping failure, {@link io.dualwrite.ErrorKind#PERMANENT}: dead-lettered at once, never retried.
 * Implementations must be thread-safe.
 */
@FunctionalInterface
public interface HttpHeaderSupplier {
    /** The W3C Trace Context header. */
    String TRACEPARENT = "traceparent";

    /**
     * @param change the change being sent
     * @return header names and values to add; never null
     */
    Map<String, String> headers(Change<?> change);

    /**
     * A supplier of the W3C {@code traceparent} header from whatever tracer the application uses,
     * for example with Micrometer Tracing:
     * <pre>{@code
     * HttpHeaderSupplier.traceparent(() -> Optional.ofNullable(tracer.currentSpan()).map(span ->
     *         "00-" + span.context().traceId() + "-" + span.context().spanId() + "-"
     *                 + (Boolean.TRUE.equals(span.context().sampled()) ? "01" : "00")))
     * }</pre>
     * The header is sent only when the current value is present and well-formed
     * ({@code version-traceid-parentid-flags} in lower-case hex).
     *
     * @param current the current trace context in traceparent form, empty when there is none
     * @return the supplier
     */
    static HttpHeaderSupplier traceparent(Supplier<Optional<String>> current) {
        Objects.requireNonNull(current, "current");
        Pattern valid = Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
        return change -> current.get().filter(v -> valid.matcher(v).matches()
                        && !v.startsWith("ff") && !v.contains("-00000000000000000000000000000000-")
                        && !v.contains("-0000000000000000-"))
                .map(v -> Map.of(TRACEPARENT, v)).orElse(Map.of());
    }

    /**
     * @param name  a header name
     * @param value its value, the same for every request (an API key, a tenant)
     * @return the supplier
     */
    static HttpHeaderSupplier fixed(String name, String value) {
        Map<String, String> headers = Map.of(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
        return change -> headers;
    }
}
