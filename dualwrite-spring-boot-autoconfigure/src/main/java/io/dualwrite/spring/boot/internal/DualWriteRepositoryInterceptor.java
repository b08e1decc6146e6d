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
package io.dualwrite.spring.boot.internal;

import io.dualwrite.DualWriter;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.springframework.data.mapping.PersistentPropertyAccessor;
import org.springframework.data.mongodb.core.convert.MongoConverter;
import org.springframework.data.mongodb.core.mapping.MongoPersistentEntity;
import org.springframework.data.mongodb.core.mapping.MongoPersistentProperty;
import org.springframework.data.repository.CrudRepository;

import java.lang.reflect.Method;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Runs a dual-written repository's write methods through the entity type's writer: a save as
 * {@code saveReturning(id, () -> repository.save(entity))}, a delete as {@code deleteWith(id, …)}; the methods
 * over many entities write them one by one. Every other method passes through. Thread-safe.
 */
public final class DualWriteRepositoryInterceptor implements MethodInterceptor {
    private final Class<?> domainType;
    private final Supplier<DualWriter<Object>> writer;
    private final Supplier<MongoConverter> converter;

    /**
     * @param domainType the repository's entity class
     * @param writer     the entity type's writer, looked up on first use
     * @param converter  the application's converter, looked up on first use
     */
    public DualWriteRepositoryInterceptor(Class<?> domainType, Supplier<DualWriter<Object>> writer,
                                          Supplier<MongoConverter> converter) {
        this.domainType = Objects.requireNonNull(domainType, "domainType");
        this.writer = Objects.requireNonNull(writer, "writer");
        this.converter = Objects.requireNonNull(converter, "converter");
    }

    @Override
    public Object invoke(MethodInvocation invocation) throws Throwable {
        Method m = invocation.getMethod();
        Object[] args = invocation.getArguments();
        String name = m.getName();
        if (args.length == 0) {
            return "deleteAll".equals(name) ? deleteAll(target(invocation)) : invocation.proceed();
        }
        if (args.length != 1) {
            return invocation.proceed();
        }
        Object arg = args[0];
        boolean many = arg instanceof Iterable<?> && !domainType.isInstance(arg);
        switch (name) {
            case "save", "insert" -> {
                if (many) {
                    List<Object> saved = new ArrayList<>();
                    for (Object e : (Iterable<?>) arg) {
                        saved.add(save(e, () -> single(invocation, name, e)));
                    }
                    return saved;
                }
                return save(arg, () -> proceed(invocation));
            }
            case "saveAll" -> {
                List<Object> saved = new ArrayList<>();
                for (Object e : (Iterable<?>) arg) {
                    saved.add(save(e, () -> target(invocation).save(e)));
                }
                return saved;
            }
            case "delete" -> {
                if (!domainType.isInstance(arg)) {
                    return invocation.proceed();
                }
                writer.get().deleteWith(idOf(arg), () -> proceed(invocation));
                return null;
            }
            case "deleteById" -> {
                writer.get().deleteWith(idText(arg), () -> proceed(invocation));
                return null;
            }
            case "deleteAll" -> {
                CrudRepository<Object, Object> repository = target(invocation);
                for (Object e : (Iterable<?>) arg) {
                    writer.get().deleteWith(idOf(e), () -> repository.delete(e));
                }
                return null;
            }
            case "deleteAllById" -> {
                CrudRepository<Object, Object> repository = target(invocation);
                for (Object id : (Iterable<?>) arg) {
                    writer.get().deleteWith(idText(id), () -> repository.deleteById(id));
                }
                return null;
            }
            default -> {
                return invocation.proceed();
            }
        }
    }

    private Object save(Object entity, Supplier<Object> callerSave) {
        Objects.requireNonNull(entity, "entity");
        String id = assignedId(entity);
        Object[] saved = new Object[1];
        writer.get().saveReturning(id, () -> {
            saved[0] = callerSave.get();
            return saved[0];
        });
        return saved[0];
    }

    private Object deleteAll(CrudRepository<Object, Object> repository) {
        for (Object e : repository.findAll()) {
            writer.get().deleteWith(idOf(e), () -> repository.delete(e));
        }
        return null;
    }

    /** The entity's id as the store knows it; a new entity gets one first, as Spring Data would give it on insert. */
    private String assignedId(Object entity) {
        MongoPersistentEntity<?> persistent = persistentEntity(entity);
        MongoPersistentProperty idProperty = persistent.getRequiredIdProperty();
        PersistentPropertyAccessor<Object> accessor = persistent.getPropertyAccessor(entity);
        Object id = accessor.getProperty(idProperty);
        if (id == null) {
            if (ObjectId.class.equals(idProperty.getType())) {
                id = new ObjectId();
            } else if (String.class.equals(idProperty.getType())) {
                // a random ObjectId's text would be stored as an ObjectId; a UUID's stays the string the store expects
                id = UUID.randomUUID().toString();
            } else {
                throw new IllegalArgumentException("a new " + domainType.getName() + " needs its id set before it is"
                        + " saved: dualwrite records the write under its id before the save runs");
            }
            accessor.setProperty(idProperty, id);
        } else if (id instanceof String s && ObjectId.isValid(s)) {
            Document stored = new Document();
            converter.get().write(entity, stored);
            if (!(stored.get("_id") instanceof String)) {
                throw new IllegalArgumentException("the id " + s + " of " + domainType.getName() + " is stored as an"
                        + " ObjectId: declare the id as ObjectId, or map it with @MongoId(FieldType.STRING)");
            }
        }
        return idText(id);
    }

    private String idOf(Object entity) {
        Object id = persistentEntity(entity).getIdentifierAccessor(entity).getIdentifier();
        if (id == null) {
            throw new IllegalArgumentException("a " + domainType.getName() + " without an id cannot be deleted");
        }
        return idText(id);
    }

    private MongoPersistentEntity<?> persistentEntity(Object entity) {
        return converter.get().getMappingContext().getRequiredPersistentEntity(entity.getClass());
    }

    private static String idText(Object id) {
        Objects.requireNonNull(id, "id");
        return id instanceof ObjectId o ? o.toHexString() : id.toString();
    }

    @SuppressWarnings("unchecked")
    private static CrudRepository<Object, Object> target(MethodInvocation invocation) {
        return (CrudRepository<Object, Object>) invocation.getThis();
    }

    private static Object single(MethodInvocation invocation, String name, Object entity) {
        try {
            Object target = invocation.getThis();
            return target.getClass().getMethod(name, Object.class).invoke(target, entity);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw rethrow(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(name + " of one entity is missing on " + invocation.getThis(), e);
        }
    }

    private static Object proceed(MethodInvocation invocation) {
        try {
            return invocation.proceed();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new UndeclaredThrowableException(t);
    }
}
