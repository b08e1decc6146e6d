/**
 * Spring Boot auto-configuration of dualwrite: Spring Data MongoDB repositories marked {@link
 * io.dualwrite.spring.boot.DualWritten} write through a {@link io.dualwrite.DualWriter} built from the application's
 * {@link io.dualwrite.spring.boot.DualWriteSinks} beans and {@code dualwrite.*} properties; recovery workers run with
 * the application ({@link io.dualwrite.spring.boot.DualWriteLifecycle}).
 */
package io.dualwrite.spring.boot;
