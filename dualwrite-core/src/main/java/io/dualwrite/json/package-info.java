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
 * The one JSON abstraction of dualwrite: {@link io.dualwrite.json.Json}, backed by the application's Jackson 2
 * ({@link io.dualwrite.json.Jackson2Json}) or Jackson 3 ({@link io.dualwrite.json.Jackson3Json}) mapper.
 * {@link io.dualwrite.json.Json#defaults()} picks by what is on the classpath.
 */
package io.dualwrite.json;
