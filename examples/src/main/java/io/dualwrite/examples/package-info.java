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
/**
 * Runnable examples of dualwrite wired as applications wire it: the catalog demo
 * ({@link io.dualwrite.examples.demo.CatalogDemo}), the smallest correct use, and a repository
 * wrapped in write-ahead mode. The sources hold the code snippets of the documentation between
 * {@code tag::name[]} and {@code end::name[]} markers, and a test checks that the two agree.
 */
package io.dualwrite.examples;
