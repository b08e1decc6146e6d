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
import org.bson.codecs.pojo.ClassModel;
import org.bson.codecs.pojo.PropertyModel;
import org.bson.codecs.pojo.annotations.BsonId;
import org.bson.codecs.pojo.annotations.BsonProperty;

import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Checks, when a store is built, that the entity's id is what the collection stores as {@code _id}. The store keys
 * every document by {@code _id}; an entity whose id the driver's codec keeps in a field of its own (a record
 * without {@code @BsonId}, a POJO without an id property) would make each document hold both {@code _id} and that
 * field, and what the application reads back by its id field would not be what the store wrote. Only the driver's
 * own record and POJO codecs are judged: an application that registers its own codec decides the mapping itself.
 * Stateless.
 */
public final class IdMapping {
    private static final String UNDERSCORE_ID = "_id";

    private IdMapping() {
    }

    /**
     * @param collection the entity collection a store is being built on
     * @throws IllegalStateException if the entity class is mapped by the driver's record or POJO codec and nothing
     *                               of it maps to {@code _id}, with the change that fixes it
     */
    public static void requireIdMapsToUnderscoreId(MongoCollection<?> collection) {
        Class<?> type = collection.getDocumentClass();
        Codec<?> codec;
        try {
            codec = collection.getCodecRegistry().get(type);
        } catch (CodecConfigurationException e) {
            return; // no codec at all: the first write says so, with the driver's own message
        }
        String codecName = codec.getClass().getName();
        if (type.isRecord() && codecName.startsWith("org.bson.codecs.")) {
            requireRecordComponentMapsToId(type);
        } else if (codecName.startsWith("org.bson.codecs.pojo.")) {
            requirePojoPropertyMapsToId(type, codec);
        }
    }

    private static void requireRecordComponentMapsToId(Class<?> type) {
        RecordComponent[] components = type.getRecordComponents();
        for (RecordComponent c : components) {
            if (c.getName().equals(UNDERSCORE_ID) || mapsToId(c) || mapsToId(c.getAccessor())
                    || mapsToId(field(type, c))) {
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

    /**
     * Judges the class model the POJO codec encodes with, so the provider's own conventions count (a provider
     * without the class-and-property convention does not map a property named {@code id} to {@code _id}).
     */
    private static void requirePojoPropertyMapsToId(Class<?> type, Codec<?> codec) {
        Optional<ClassModel<?>> read = classModelOf(codec);
        if (read.isEmpty()) {
            return; // a guess from the default conventions could refuse a mapping the provider's conventions make
        }
        ClassModel<?> model = read.get();
        List<PropertyModel<?>> properties = model.getPropertyModels();
        if (model.getIdPropertyModel() != null
                || properties.stream().anyMatch(p -> UNDERSCORE_ID.equals(p.getWriteName()))) {
            return;
        }
        String written = properties.stream()
                .map(p -> p.getName().equals(p.getWriteName()) ? p.getName() : p.getName() + " as " + p.getWriteName())
                .collect(Collectors.joining(", "));
        throw new IllegalStateException("entity class " + type.getName() + " has no property mapped to _id (the POJO"
                + " codec writes: " + written + "): each document would store both _id and the id property, and"
                + " reads by that property would miss what this store wrote. Annotate the id field or its getter with"
                + " @org.bson.codecs.pojo.annotations.BsonId, e.g. @BsonId private String id; (a property named id"
                + " maps to _id only under the driver's default conventions, and only without"
                + " @BsonProperty naming it otherwise)");
    }

    /**
     * The class model of the driver's POJO codec. The driver keeps the accessor package-private, so it is read
     * reflectively (the driver's jar is an automatic module, which opens its packages); empty when that fails.
     */
    private static Optional<ClassModel<?>> classModelOf(Codec<?> codec) {
        try {
            Method accessor = codec.getClass().getDeclaredMethod("getClassModel");
            accessor.setAccessible(true);
            return Optional.ofNullable((ClassModel<?>) accessor.invoke(codec));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return Optional.empty();
        }
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
