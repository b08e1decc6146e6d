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

import io.dualwrite.ErrorKind;
import io.dualwrite.spi.SinkException;
import io.dualwrite.testkit.TestItem;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The view's failures are the library's unchecked exceptions, each with the kind a caller needs. */
class VersionedTopicViewTest {

    /** Writes records as given, headers and all, to a new topic of one partition. */
    private static String topicWith(String... keyVersionValue) throws Exception {
        String topic = KafkaTestSupport.newTopic("view", 1);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(KafkaTestSupport.clientConfig(),
                new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < keyVersionValue.length; i += 3) {
                ProducerRecord<String, byte[]> r = new ProducerRecord<>(topic, keyVersionValue[i],
                        keyVersionValue[i + 2].getBytes(StandardCharsets.UTF_8));
                if (keyVersionValue[i + 1] != null) {
                    r.headers().add(KafkaHeaders.ENTITY_VERSION,
                            keyVersionValue[i + 1].getBytes(StandardCharsets.UTF_8));
                }
                producer.send(r).get();
            }
        }
        return topic;
    }

    private static String json(String id) throws Exception {
        return KafkaTestSupport.JSON.writeValueAsString(TestItem.variant(id, 1));
    }

    private static VersionedTopicView<TestItem> view(String topic) {
        return VersionedTopicView.open(KafkaTestSupport.clientConfig(), topic, KafkaTestSupport.items());
    }

    @Test
    void catchUpHoldsTheNewestVersionOfEachKey() throws Exception {
        try (VersionedTopicView<TestItem> view = view(topicWith("a", "1", json("a"), "a", "2", json("a"),
                "b", "1", json("b")))) {
            view.catchUp(Duration.ofSeconds(30));
            assertEquals(Map.of("a", 2L, "b", 1L), view.liveVersions(), "the newest version of each key");
        }
    }

    @Test
    void aValueTheDeserializerRefusesIsAPermanentSinkException() throws Exception {
        try (VersionedTopicView<TestItem> view = view(topicWith("a", "1", "not json"))) {
            SinkException e = assertThrows(SinkException.class, () -> view.catchUp(Duration.ofSeconds(30)));
            assertEquals(ErrorKind.PERMANENT, e.kind(), "reading it again fails the same way: " + e);
        }
    }

    @Test
    void aRecordWithoutAVersionIsAnIllegalArgument() throws Exception {
        try (VersionedTopicView<TestItem> view = view(topicWith("a", null, json("a")))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> view.catchUp(Duration.ofSeconds(30)));
            assertTrue(e.getMessage().contains(KafkaHeaders.ENTITY_VERSION), e.getMessage());
        }
    }

    @Test
    void notCatchingUpInTimeIsATransientSinkException() throws Exception {
        try (VersionedTopicView<TestItem> view = view(topicWith("a", "1", json("a")))) {
            SinkException e = assertThrows(SinkException.class, () -> view.catchUp(Duration.ofNanos(1)));
            assertEquals(ErrorKind.TRANSIENT, e.kind(), "a longer wait may do: " + e);
            assertTrue(e.getMessage().contains("did not catch up"), e.getMessage());
        }
    }

    @Test
    void anInterruptIsATransientSinkExceptionAndTheFlagStaysSet() throws Exception {
        try (VersionedTopicView<TestItem> view = view(topicWith("a", "1", json("a")))) {
            Thread.currentThread().interrupt();
            SinkException e;
            try {
                e = assertThrows(SinkException.class, () -> view.catchUp(Duration.ofSeconds(30)));
            } finally {
                assertTrue(Thread.interrupted(), "the interrupt flag is still set (and cleared here)");
            }
            assertEquals(ErrorKind.TRANSIENT, e.kind(), e.toString());
            assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
        }
    }
}
