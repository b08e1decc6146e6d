/**
 * For the application's own {@code @SpringBootTest}s: {@link io.dualwrite.spring.boot.test.FaultySinks} wraps the
 * sinks of its {@code DualWriteSinks} beans in the testkit's fault-injecting sinks, and waits until the system is
 * quiet and converged. Needs {@code dualwrite-testkit} on the test classpath.
 */
package io.dualwrite.spring.boot.test;
