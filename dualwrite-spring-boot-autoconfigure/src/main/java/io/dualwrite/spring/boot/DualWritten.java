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
