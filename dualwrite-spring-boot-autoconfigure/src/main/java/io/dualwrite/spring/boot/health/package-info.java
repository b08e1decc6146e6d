/**
 * Spring Boot Actuator health for dualwrite: {@link io.dualwrite.spring.boot.health.DualWriteHealthIndicator}, one
 * per entity type under the {@code dualwrite} health contributor, with thresholds from {@code dualwrite.health.*}.
 * Active when the application has Actuator's health support on its classpath.
 */
package io.dualwrite.spring.boot.health;
