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
 * For the application's own {@code @SpringBootTest}s: {@link io.dualwrite.spring.boot.test.FaultySinks} wraps the
 * sinks of its {@code DualWriteSinks} beans in the testkit's fault-injecting sinks, and waits until the system is
 * quiet and converged. Needs {@code dualwrite-testkit} on the test classpath.
 */
package io.dualwrite.spring.boot.test;
