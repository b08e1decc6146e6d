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
package io.dualwrite.spring.boot;

import io.dualwrite.testkit.mongo.TestMongo;
import io.dualwrite.spring.boot.app.CatalogApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Points Spring Boot's MongoDB client at the test MongoDB (DUALWRITE_MONGO_URI, Testcontainers or in-JVM). */
public final class MongoForSpring {
    private MongoForSpring() {
    }

    /**
     * @param registry the test's dynamic properties
     * @return the database the test's context uses, new for each call
     */
    public static String register(DynamicPropertyRegistry registry) {
        String database = newDatabase();
        registry.add("spring.mongodb.uri", () -> TestMongo.server().connectionString());
        registry.add("spring.mongodb.database", () -> database);
        return database;
    }

    /** @return a database name no other test uses */
    public static String newDatabase() {
        return "spring_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    /**
     * Starts the catalog application on the test MongoDB.
     *
     * @param database   its database
     * @param sinks      the configuration that declares its sinks
     * @param properties more properties, {@code name=value}
     * @return the running application
     */
    public static ConfigurableApplicationContext run(String database, Class<?> sinks, String... properties) {
        return run(WebApplicationType.NONE, database, sinks, properties);
    }

    /**
     * Starts the catalog application on the test MongoDB with its web server, on a free port.
     *
     * @param database   its database
     * @param sinks      the configuration that declares its sinks
     * @param properties more properties, {@code name=value}
     * @return the running application; its port is {@code ((WebServerApplicationContext) app).getWebServer().getPort()}
     */
    public static ConfigurableApplicationContext runWeb(String database, Class<?> sinks, String... properties) {
        List<String> all = new ArrayList<>(List.of(properties));
        all.add("server.port=0");
        return run(WebApplicationType.SERVLET, database, sinks, all.toArray(String[]::new));
    }

    private static ConfigurableApplicationContext run(WebApplicationType web, String database, Class<?> sinks,
                                                      String... properties) {
        List<String> all = new ArrayList<>(List.of("spring.mongodb.uri=" + TestMongo.server().connectionString(),
                "spring.mongodb.database=" + database));
        all.addAll(List.of(properties));
        return new SpringApplicationBuilder(CatalogApplication.class, sinks).web(web)
                .properties(all.toArray(String[]::new)).run();
    }
}
