package io.dualwrite.testkit.mongo;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares the {@link MongoCapability capabilities} a test class or method needs. With
 * {@link MongoExtension} registered, the test is skipped, with a reason that names the missing
 * capability and the server in use, when the chosen MongoDB lacks one; it runs everywhere else.
 * Thread-safe (an annotation).
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface RequiresMongo {
    /** @return the capabilities the test needs */
    MongoCapability[] value();
}
