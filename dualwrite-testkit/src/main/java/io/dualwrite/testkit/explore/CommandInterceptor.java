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
package io.dualwrite.testkit.explore;

import com.mongodb.MongoSocketOpenException;
import com.mongodb.MongoSocketReadException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoCollection;
import org.bson.BsonValue;
import org.bson.conversions.Bson;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link MongoCollection} seen by one instance of a schedule: a step point before every command,
 * a command that is not sent when the primary is down ({@link MongoSocketOpenException}), and a
 * write that is applied but whose reply is lost ({@link MongoSocketReadException}, as when a
 * connection drops while the reply is on its way). Collections derived from it
 * ({@code withDocumentClass} and the like) are intercepted the same way.
 */
final class CommandInterceptor implements InvocationHandler {
    /** Methods that only configure or describe the collection: no command, no step. */
    private static final Set<String> LOCAL = Set.of("getNamespace", "getDocumentClass", "getCodecRegistry",
            "getReadPreference", "getWriteConcern", "getReadConcern", "getTimeout", "withDocumentClass",
            "withCodecRegistry", "withReadPreference", "withWriteConcern", "withReadConcern", "withTimeout",
            "hashCode", "equals", "toString");
    /** Commands that may change data: a lost reply applies to these. */
    private static final Set<String> WRITES = Set.of("insertOne", "insertMany", "replaceOne", "updateOne",
            "updateMany", "deleteOne", "deleteMany", "findOneAndUpdate", "findOneAndReplace", "findOneAndDelete",
            "bulkWrite");
    /** Commands that set the collection up: never struck by faults. */
    private static final Set<String> SETUP = Set.of("createIndex", "createIndexes", "listIndexes", "dropIndex",
            "dropIndexes", "drop", "renameCollection", "createSearchIndex", "createSearchIndexes");
    private static final ServerAddress ADDRESS = new ServerAddress();

    private final MongoCollection<?> target;
    private final Run<?>.Node node;

    private CommandInterceptor(MongoCollection<?> target, Run<?>.Node node) {
        this.target = target;
        this.node = node;
    }

    @SuppressWarnings("unchecked")
    static <D> MongoCollection<D> wrap(MongoCollection<D> collection, Run<?>.Node node) {
        return (MongoCollection<D>) Proxy.newProxyInstance(CommandInterceptor.class.getClassLoader(),
                new Class<?>[]{MongoCollection.class}, new CommandInterceptor(collection, node));
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        String name = method.getName();
        if (LOCAL.contains(name) || SETUP.contains(name)) {
            Object r = invokeTarget(method, args);
            return r instanceof MongoCollection && name.startsWith("with")
                    ? wrap((MongoCollection<?>) r, node) : r;
        }
        boolean write = WRITES.contains(name);
        Run.PrimaryFault fault = node.command(describe(name, args), write, write ? idsOf(args) : List.of());
        if (fault == Run.PrimaryFault.DOWN) {
            throw new MongoSocketOpenException("injected: the primary is down", ADDRESS);
        }
        if (fault == Run.PrimaryFault.HELD) {
            node.hold(describe(name, args), idsOf(args), () -> {
                try {
                    return invokeTarget(method, args);
                } catch (Exception | Error e) {
                    throw e;
                } catch (Throwable t) {
                    throw new IllegalStateException(t);
                }
            });
            throw new MongoSocketReadException("injected: the connection dropped before the reply", ADDRESS);
        }
        Object r = invokeTarget(method, args);
        if (fault == Run.PrimaryFault.LOST_REPLY) {
            throw new MongoSocketReadException("injected: the connection dropped before the reply", ADDRESS);
        }
        return r;
    }

    /**
     * @return the entity ids a write names in its first argument (a filter or a document: its
     *         {@code _id} and {@code entityId} values), empty when it names none it can tell
     */
    private static Set<String> idsOf(Object[] args) {
        Set<String> ids = new java.util.HashSet<>();
        if (args != null && args.length > 0 && args[0] instanceof Bson) {
            try {
                collectIds(((Bson) args[0]).toBsonDocument(), ids);
            } catch (RuntimeException e) {
                return Set.of();
            }
        }
        return ids;
    }

    private static void collectIds(BsonValue v, Set<String> ids) {
        if (v.isDocument()) {
            for (Map.Entry<String, BsonValue> e : v.asDocument().entrySet()) {
                if (("_id".equals(e.getKey()) || "entityId".equals(e.getKey())) && e.getValue().isString()) {
                    ids.add(e.getValue().asString().getValue());
                } else if (e.getValue().isDocument() || e.getValue().isArray()) {
                    collectIds(e.getValue(), ids);
                }
            }
        } else if (v.isArray()) {
            v.asArray().forEach(x -> collectIds(x, ids));
        }
    }

    private Object invokeTarget(Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private String describe(String method, Object[] args) {
        StringBuilder sb = new StringBuilder(target.getNamespace().getCollectionName()).append('.').append(method);
        if (args != null && args.length > 0 && args[0] instanceof Bson) {
            String f;
            try {
                f = ((Bson) args[0]).toBsonDocument().toJson();
            } catch (RuntimeException e) {
                f = String.valueOf(args[0]);
            }
            sb.append(' ').append(f.length() > 90 ? f.substring(0, 90) + "…" : f);
        }
        return sb.toString();
    }
}
