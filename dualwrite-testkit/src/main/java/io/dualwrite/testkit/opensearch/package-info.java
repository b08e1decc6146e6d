/**
 * An OpenSearch node inside the test JVM ({@link io.dualwrite.testkit.opensearch.EmbeddedOpenSearch}),
 * for the search-index sink's tests, users' own tests and demos. Needs the optional server
 * dependencies on the test classpath (see the class's javadoc).
 */
package io.dualwrite.testkit.opensearch;
