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
package io.dualwrite.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.jackson.JsonFormat;
import io.dualwrite.Change;
import io.dualwrite.EntitySerializationException;
import io.dualwrite.Operation;
import io.dualwrite.json.Jackson3Json;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The envelope's JSON form is structured-mode CloudEvents: the official SDK reads what we write. */
class EventEnvelopeTest {
    private static final Instant T = Instant.parse("2026-05-01T08:00:00.123Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Change<Map<String, Object>> upsert() {
        return Change.<Map<String, Object>>builder().entityType("product").id("p-1").version(1_777_000_000_000_001L)
                .operation(Operation.UPSERT).state(Map.of("name", "lamp", "price", 12))
                .correlationId("corr-9").time(T).schemaVersion(3).build();
    }

    @Test
    void theCloudEventsSdkParsesAnUpsertWeEmit() throws Exception {
        String json = EventEnvelopes.<Map<String, Object>>builder().build().envelope(upsert()).toJson();
        EventFormat format = EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE);
        assertNotNull(format, "the SDK's JSON format is on the test class path");
        CloudEvent ce = format.deserialize(json.getBytes(StandardCharsets.UTF_8));
        assertEquals("1.0", ce.getSpecVersion().toString(), "specversion");
        assertEquals("product/p-1@1777000000000001", ce.getId(), "id is the idempotency key");
        assertEquals(URI.create("/dualwrite/product"), ce.getSource(), "default source");
        assertEquals("io.dualwrite.product.upserted", ce.getType(), "type");
        assertEquals("p-1", ce.getSubject(), "subject is the entity id");
        assertEquals(OffsetDateTime.parse("2026-05-01T08:00:00.123Z"), ce.getTime(), "time is the commit time");
        assertEquals("application/json", ce.getDataContentType(), "data content type");
        assertEquals("1777000000000001", ce.getExtension(EventEnvelope.ENTITY_VERSION),
                "the 64-bit entity version travels as decimal text (a CloudEvents integer is 32-bit)");
        assertEquals(3, ((Number) ce.getExtension(EventEnvelope.SCHEMA_VERSION)).intValue(), "schema version");
        assertEquals("corr-9", ce.getExtension(EventEnvelope.CORRELATION_ID), "correlation id");
        JsonNode data = JSON.readTree(ce.getData().toBytes());
        assertEquals("lamp", data.get("name").asText(), "the data is the entity's state");
        assertEquals(12, data.get("price").asInt(), "the data is the entity's state");

        // and back: what the SDK writes, we read
        byte[] again = format.serialize(ce);
        EventEnvelope read = EventEnvelope.fromJson(new String(again, StandardCharsets.UTF_8));
        assertEquals(EventEnvelope.fromJson(json), read, "an SDK round trip keeps every attribute and the data");
    }

    @Test
    void aDeleteHasNoDataAndTheSdkAgrees() {
        Change<Map<String, Object>> delete = Change.<Map<String, Object>>builder().entityType("product").id("p-1")
                .version(7).operation(Operation.DELETE).correlationId("c").time(T).build();
        EventEnvelope e = EventEnvelopes.<Map<String, Object>>builder().source("urn:shop:catalog")
                .typePrefix("com.example").build().envelope(delete);
        CloudEvent ce = EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE)
                .deserialize(e.toJson().getBytes(StandardCharsets.UTF_8));
        assertEquals("com.example.product.deleted", ce.getType(), "delete type");
        assertEquals(URI.create("urn:shop:catalog"), ce.getSource(), "configured source");
        assertNull(ce.getData(), "a delete carries no data");
        assertEquals(Operation.DELETE, EventEnvelope.fromJson(e.toJson()).operation(), "we read it back as a delete");
    }

    @Test
    void aPayloadMapperChangesTheDataNeverTheIdentity() {
        EventEnvelopes<Map<String, Object>> envelopes = EventEnvelopes.<Map<String, Object>>builder()
                .payload(m -> Map.of("title", m.get("name"))).build();
        EventEnvelope mapped = envelopes.envelope(upsert());
        assertEquals("lamp", mapped.data().orElseThrow().get("title").asText(), "the mapper shaped the data");
        EventEnvelope again = mapped.withData(JsonNodeFactory.instance.textNode("x"));
        assertEquals(mapped.id(), again.id(), "id stays");
        assertEquals(mapped.subject(), again.subject(), "subject stays");
        assertEquals(mapped.entityVersion(), again.entityVersion(), "version stays");
        assertEquals(mapped.type(), again.type(), "type stays");
        assertFalse(again.equals(mapped), "the data did change");
    }

    @Test
    void badInputIsRefusedClearly() {
        assertThrows(IllegalArgumentException.class, () -> EventEnvelope.fromJson("[1]"), "not an object");
        assertThrows(IllegalArgumentException.class, () -> EventEnvelope.fromJson("{"), "not JSON");
        String json = EventEnvelopes.<Map<String, Object>>builder().build().envelope(upsert()).toJson();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EventEnvelope.fromJson(json.replace("\"1.0\"", "\"0.3\"")), "another spec version");
        assertTrue(e.getMessage().contains("specversion"), "the message names the attribute: " + e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> EventEnvelope.fromJson(json.replace("\"subject\"", "\"subjekt\"")), "missing subject");
        assertThrows(IllegalArgumentException.class, () -> EventEnvelopes.builder().typePrefix("a."), "prefix");
        assertThrows(IllegalArgumentException.class, () -> EventEnvelopes.builder().source(" "), "source");
    }

    /** A value with a camel-case property, to see whose naming strategy wrote it. */
    public record Priced(String displayName, Instant listedAt) {
    }

    /** A value whose property cannot be read. */
    public static final class Opaque {
        public String getBroken() {
            throw new IllegalStateException("no value");
        }
    }

    @Test
    void theApplicationsJackson3MapperWritesTheData() {
        JsonMapper snake = JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();
        EventEnvelopes<Priced> envelopes = EventEnvelopes.<Priced>builder().json(Jackson3Json.of(snake)).build();
        Change<Priced> change = Change.<Priced>builder().entityType("product").id("p-2").version(7)
                .operation(Operation.UPSERT).state(new Priced("Lamp", T)).correlationId("c").time(T).build();
        JsonNode data = EventEnvelope.fromJson(envelopes.envelope(change).toJson()).data().orElseThrow();
        assertEquals("Lamp", data.path("display_name").asText(), "the mapper's snake case names the field: " + data);
        assertFalse(data.has("displayName"), "no default naming: " + data);
        assertEquals("2026-05-01T08:00:00.123Z", data.path("listed_at").asText(), "Jackson 3 writes time as text");

        EventEnvelopes<Opaque> failing = EventEnvelopes.<Opaque>builder().json(Jackson3Json.of(snake)).build();
        Change<Opaque> opaque = Change.<Opaque>builder().entityType("opaque").id("o-1").version(1)
                .operation(Operation.UPSERT).state(new Opaque()).correlationId("c").time(T).build();
        assertThrows(EntitySerializationException.class, () -> failing.envelope(opaque),
                "a Jackson 3 failure is the same serialization failure as a Jackson 2 one");
    }
}
