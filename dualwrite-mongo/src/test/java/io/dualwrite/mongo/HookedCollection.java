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
package io.dualwrite.mongo;

import com.mongodb.MongoSocketOpenException;
import com.mongodb.MongoSocketReadException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoCollection;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A collection that runs a scripted interleaving around its next matching command: something
 * else happens right after the command lands (another writer, a recovery pass), and then its
 * reply is lost, or the command is refused before it is sent. Collections derived from it
 * ({@code withDocumentClass}) share the script. For deterministic regression tests of one
 * interleaving; the interleaving explorer searches them all.
 */
final class HookedCollection {
    /** What happens around one command. */
    record Step(String method, Runnable after, boolean loseReply, boolean refuse, boolean runFirst,
                boolean loseRefusal) {
        Step(String method, Runnable after, boolean loseReply, boolean refuse) {
            this(method, after, loseReply, refuse, false, false);
        }

        Step(String method, Runnable after, boolean loseReply, boolean refuse, boolean runFirst) {
            this(method, after, loseReply, refuse, runFirst, false);
        }
    }

    private final ConcurrentLinkedQueue<Step> script = new ConcurrentLinkedQueue<>();

    /** The next {@code method} lands, then {@code after} runs, then its reply is lost. */
    HookedCollection landThenLoseReply(String method, Runnable after) {
        script.add(new Step(method, after, true, false));
        return this;
    }

    /** The next {@code method} is sent and the server answers, a refusal too; that answer is lost. */
    HookedCollection sendThenLoseAnyReply(String method) {
        script.add(new Step(method, () -> { }, true, false, false, true));
        return this;
    }

    /** The next {@code method} lands, then {@code after} runs before the caller gets the reply. */
    HookedCollection landThen(String method, Runnable after) {
        script.add(new Step(method, after, false, false));
        return this;
    }

    /** {@code first} runs, then the next {@code method} is sent (after what it read was read: a write's race). */
    HookedCollection first(String method, Runnable first) {
        script.add(new Step(method, first, false, false, true));
        return this;
    }

    /** The next {@code method} is refused before it is sent (the primary is unreachable). */
    HookedCollection refuse(String method) {
        script.add(new Step(method, () -> { }, false, true));
        return this;
    }

    /** @return true when every scripted step happened */
    boolean done() {
        return script.isEmpty();
    }

    @SuppressWarnings("unchecked")
    <D> MongoCollection<D> wrap(MongoCollection<D> target) {
        return (MongoCollection<D>) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[]{MongoCollection.class}, (proxy, method, args) -> {
                    Step step = script.peek();
                    boolean hit = step != null && step.method().equals(method.getName()) && script.remove(step);
                    if (hit && step.refuse()) {
                        throw new MongoSocketOpenException("scripted: the primary is unreachable", new ServerAddress());
                    }
                    if (hit && step.runFirst()) {
                        step.after().run();
                    }
                    Object r;
                    try {
                        r = method.invoke(target, args);
                    } catch (InvocationTargetException e) {
                        if (hit && step.loseRefusal()) {
                            throw new MongoSocketReadException("scripted: the reply was lost", new ServerAddress());
                        }
                        throw e.getCause();
                    }
                    if (r instanceof MongoCollection) {
                        return wrap((MongoCollection<Object>) r);
                    }
                    if (hit && !step.runFirst()) {
                        step.after().run();
                        if (step.loseReply()) {
                            throw new MongoSocketReadException("scripted: the reply was lost", new ServerAddress());
                        }
                    }
                    return r;
                });
    }
}
