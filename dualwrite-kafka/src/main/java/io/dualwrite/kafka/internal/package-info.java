/** Implementation details of the Kafka sink and its consumer guard; not part of the public API, do not import. */
package io.dualwrite.kafka.internal;
