package io.dualwrite.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A consumer's own processing of one record, wrapped by a {@link VersionGuard}. A record with a
 * null value is the delete of its key.
 *
 * @param <V> the record value type
 */
@FunctionalInterface
public interface RecordHandler<V> {

    /**
     * @param record the record, never null
     * @throws Exception when it could not be processed; the guard records nothing and passes it on
     */
    void handle(ConsumerRecord<String, V> record) throws Exception;
}
