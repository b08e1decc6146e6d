/**
 * Runnable examples of dualwrite wired as applications wire it: the catalog demo
 * ({@link io.dualwrite.examples.demo.CatalogDemo}), the smallest correct use, and a repository
 * wrapped in write-ahead mode. The sources hold the code snippets of the documentation between
 * {@code tag::name[]} and {@code end::name[]} markers, and a test checks that the two agree.
 */
package io.dualwrite.examples;
