/** The Kafka sink. */
package io.dualwrite.kafka;
