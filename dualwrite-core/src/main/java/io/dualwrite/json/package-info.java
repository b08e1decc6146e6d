/**
 * The one JSON abstraction of dualwrite: {@link io.dualwrite.json.Json}, backed by the application's Jackson 2
 * ({@link io.dualwrite.json.Jackson2Json}) or Jackson 3 ({@link io.dualwrite.json.Jackson3Json}) mapper.
 * {@link io.dualwrite.json.Json#defaults()} picks by what is on the classpath.
 */
package io.dualwrite.json;
