/**
 * Finds the Redis and PostgreSQL servers that sink tests run against: an address from the
 * environment, else the local service, else a Testcontainers container where Docker runs; with
 * none of these the test is skipped with a message that names the missing server.
 */
package io.dualwrite.testkit.servers;
