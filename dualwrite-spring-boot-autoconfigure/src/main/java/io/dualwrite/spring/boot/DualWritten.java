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
package io.dualwrite.spring.boot;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a Spring Data MongoDB repository whose writes go through the entity type's {@link io.dualwrite.DualWriter}:
 * {@code save}, {@code saveAll}, {@code insert}, {@code delete}, {@code deleteById}, {@code deleteAll…} record a
 * write-ahead intent, run the repository's own write and deliver what it stored to the sinks of the
 * {@link DualWriteSinks} bean declared for the repository's domain type. A write through a repository so marked whose
 * domain type has no such bean fails with an {@link IllegalStateException} that says so, and writes nothing.
 *
 * <p>Derived and {@code @Query} delete methods, {@code MongoTemplate} writes and bulk updates do not pass through
 * the repository's write methods and are not covered; docs/spring-boot.md says how to cover them.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface DualWritten {
}
