/**
 * The HTTP sink: calls a third-party HTTP API with the JDK's {@link java.net.http.HttpClient},
 * sending the change's idempotency key, version and correlation id as headers, and reading the
 * reply's status into applied, already current, transient (honouring {@code Retry-After}),
 * permanent or unknown outcome. Entry point: {@link io.dualwrite.http.HttpSink}.
 */
package io.dualwrite.http;
