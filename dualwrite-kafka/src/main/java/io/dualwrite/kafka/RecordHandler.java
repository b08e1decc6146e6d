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
