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
package io.dualwrite.mongo.internal;

import com.mongodb.client.MongoCollection;
import org.bson.codecs.Codec;
import org.bson.codecs.configuration.CodecConfigurationException;
import org.bson.codecs.pojo.annotations.BsonId;
import org.bson.codecs.pojo.annotations.BsonProperty;

import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Checks, when a store is built, that the entity's id is what the collection stores as {@code _id}. The store keys
 * every document by {@code _id}; a record that the driver's record codec maps without {@code @BsonId} keeps its id
 * in a field of its own, so each document would hold both {@code _id} and {@code id}, and what the application
 * reads back by its id field would not be what the store wrote. Only the driver's own codecs are judged: an
 * application that registers its own codec decides the mapping itself. Stateless.
 */
public final class IdMapping {
    private IdMapping() {
    }

    /**
     * @param collection the entity collection a store is being built on
     * @throws IllegalStateException if the entity class is a record mapped by the driver's record codec and none of
     *                               its components maps to {@code _id}, with the change that fixes it
     */
    public static void requireIdMapsToUnderscoreId(MongoCollection<?> collection) {
        Class<?> type = collection.getDocumentClass();
        if (!type.isRecord()) {
            return;
        }
        Codec<?> codec;
        try {
            codec = collection.getCodecRegistry().get(type);
        } catch (CodecConfigurationException e) {
            return; // no codec at all: the first write says so, with the driver's own message
        }
        if (!codec.getClass().getName().startsWith("org.bson.codecs.")) {
            return;
        }
        RecordComponent[] components = type.getRecordComponents();
        for (RecordComponent c : components) {
            if (c.getName().equals("_id") || mapsToId(c) || mapsToId(c.getAccessor()) || mapsToId(field(type, c))) {
                return;
            }
        }
        String names = Arrays.stream(components).map(RecordComponent::getName).collect(Collectors.joining(", "));
        String example = components.length > 0 ? components[0].getName() : "id";
        throw new IllegalStateException("entity record " + type.getName() + " has no component mapped to _id (its"
                + " components: " + names + "): each document would store both _id and the id field, and reads by that"
                + " field would miss what this store wrote. Annotate the id component with"
                + " @org.bson.codecs.pojo.annotations.BsonId, e.g. record " + type.getSimpleName() + "(@BsonId String "
                + example + ", ...)");
    }

    private static boolean mapsToId(AnnotatedElement e) {
        if (e == null) {
            return false;
        }
        BsonProperty p = e.getAnnotation(BsonProperty.class);
        return e.isAnnotationPresent(BsonId.class) || (p != null && p.value().equals("_id"));
    }

    private static AnnotatedElement field(Class<?> type, RecordComponent c) {
        try {
            return type.getDeclaredField(c.getName());
        } catch (NoSuchFieldException e) {
            return null;
        }
    }
}
