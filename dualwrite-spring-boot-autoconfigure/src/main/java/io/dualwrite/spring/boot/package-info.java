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
 * Spring Boot auto-configuration of dualwrite: Spring Data MongoDB repositories marked {@link
 * io.dualwrite.spring.boot.DualWritten} write through a {@link io.dualwrite.DualWriter} built from the application's
 * {@link io.dualwrite.spring.boot.DualWriteSinks} beans and {@code dualwrite.*} properties; recovery workers run with
 * the application ({@link io.dualwrite.spring.boot.DualWriteLifecycle}).
 */
package io.dualwrite.spring.boot;
