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
package io.dualwrite.testkit.mongo;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.AnnotatedElement;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * JUnit 5 extension that gives tests the MongoDB {@link TestMongo} chooses.
 *
 * <ul>
 *   <li>Injects {@link MongoClient} (shared, do not close it), {@link MongoDatabase} and
 *       {@link TestMongoServer} into test, lifecycle and constructor parameters. A database
 *       resolved for a test method or its {@code @BeforeEach}/{@code @AfterEach} is fresh for
 *       that test; one resolved in {@code @BeforeAll} or a constructor is fresh for the class.
 *       Each is dropped when its scope ends.</li>
 *   <li>Publishes the server in use as the report entry {@value #REPORT_KEY} and logs it.</li>
 *   <li>Skips a test annotated {@link RequiresMongo} with the missing capability and the server
 *       in the reason, only when the server lacks it.</li>
 * </ul>
 *
 * <pre>{@code
 * @ExtendWith(MongoExtension.class)
 * class MyStoreTest {
 *     @Test
 *     @RequiresMongo(MongoCapability.TRANSACTIONS)
 *     void commitsInATransaction(MongoDatabase db) { ... }
 * }
 * }</pre>
 * Thread-safe.
 */
public final class MongoExtension implements BeforeAllCallback, ExecutionCondition, ParameterResolver {
    /** The report entry key that names the server in use. */
    public static final String REPORT_KEY = "dualwrite.mongo";

    private static final Logger LOG = LoggerFactory.getLogger(MongoExtension.class);
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(MongoExtension.class);
    private static final AtomicInteger DATABASES = new AtomicInteger();

    @Override
    public void beforeAll(ExtensionContext context) {
        TestMongoServer server = TestMongo.server();
        context.publishReportEntry(REPORT_KEY, server.description());
        LOG.info("{} runs against {}", context.getDisplayName(), server.description());
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Set<MongoCapability> needed = EnumSet.noneOf(MongoCapability.class);
        required(context.getTestClass().orElse(null), needed);
        required(context.getTestMethod().orElse(null), needed);
        if (needed.isEmpty()) {
            return ConditionEvaluationResult.enabled("needs no particular MongoDB capability");
        }
        TestMongoServer server = TestMongo.server();
        List<MongoCapability> missing = new ArrayList<>();
        for (MongoCapability c : needed) {
            if (!server.has(c)) {
                missing.add(c);
            }
        }
        if (missing.isEmpty()) {
            return ConditionEvaluationResult.enabled("the MongoDB in use has " + needed);
        }
        return ConditionEvaluationResult.disabled("needs MongoDB capability " + missing + ", which "
                + server.description() + " lacks; set " + TestMongo.URI_VARIABLE
                + " to a replica set or run where Docker is available");
    }

    private static void required(AnnotatedElement element, Set<MongoCapability> into) {
        if (element == null) {
            return;
        }
        RequiresMongo r = element.getAnnotation(RequiresMongo.class);
        if (r != null) {
            into.addAll(List.of(r.value()));
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Class<?> t = parameterContext.getParameter().getType();
        return t == MongoClient.class || t == MongoDatabase.class || t == TestMongoServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Class<?> t = parameterContext.getParameter().getType();
        if (t == TestMongoServer.class) {
            return TestMongo.server();
        }
        if (t == MongoClient.class) {
            return TestMongo.client();
        }
        if (t == MongoDatabase.class) {
            return database(extensionContext);
        }
        throw new ParameterResolutionException("cannot resolve " + t.getName());
    }

    /**
     * @param context a JUnit context (a test method's or a class's)
     * @return the fresh database of that context, created on first use and dropped when the context ends
     */
    public static MongoDatabase database(ExtensionContext context) {
        ScopedDatabase scoped = context.getStore(NAMESPACE).getOrComputeIfAbsent(ScopedDatabase.class,
                k -> new ScopedDatabase(TestMongo.client().getDatabase(databaseName(context))), ScopedDatabase.class);
        return scoped.database;
    }

    static String databaseName(ExtensionContext context) {
        String base = context.getTestClass().map(Class::getSimpleName).orElse("test")
                + context.getTestMethod().map(m -> "_" + m.getName()).orElse("");
        String clean = base.replaceAll("[^A-Za-z0-9_]", "_").toLowerCase(Locale.ROOT);
        String suffix = "_" + DATABASES.incrementAndGet();
        int room = 60 - "dw_".length() - suffix.length();
        return "dw_" + (clean.length() > room ? clean.substring(0, room) : clean) + suffix;
    }

    /** Drops the database when its JUnit scope ends. */
    private static final class ScopedDatabase implements AutoCloseable {
        final MongoDatabase database;

        ScopedDatabase(MongoDatabase database) {
            this.database = database;
        }

        @Override
        public void close() {
            try {
                database.drop();
            } catch (RuntimeException e) {
                LOG.debug("could not drop test database {}: {}", database.getName(), e.toString());
            }
        }
    }
}
