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
package io.dualwrite.cli.internal;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.cli.DualWriteCli;
import io.dualwrite.mongo.operations.Operations;
import org.bson.Document;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The primary as the command line opens it: one database, and the {@link Operations} over it with the entity types
 * the options map. Opening it checks that a server answers within the timeout, so an unreachable MongoDB fails before
 * anything is read or changed. Not thread-safe (one per command).
 */
final class Primary implements AutoCloseable {
    private final MongoClient client;
    private final Operations ops;

    private Primary(MongoClient client, Operations ops) {
        this.client = client;
        this.ops = ops;
    }

    static Primary open(String uri, String database, Map<String, String> entities, String deadLetterCollection,
                        Duration serverTimeout) {
        if (uri == null || uri.isBlank()) {
            throw new CliException(DualWriteCli.EXIT_BAD_INPUT, "no MongoDB connection: give --mongo-uri or set "
                    + DualWriteCli.URI_VARIABLE);
        }
        ConnectionString cs;
        try {
            cs = new ConnectionString(uri);
        } catch (IllegalArgumentException e) {
            throw new CliException(DualWriteCli.EXIT_BAD_INPUT, "the MongoDB connection string is not valid: "
                    + e.getMessage());
        }
        String name = database != null ? database : cs.getDatabase();
        if (name == null || name.isBlank()) {
            throw new CliException(DualWriteCli.EXIT_BAD_INPUT, "the connection string names no database: add it"
                    + " (mongodb://host/<database>) or give --database");
        }
        for (Map.Entry<String, String> e : entities.entrySet()) {
            if (e.getKey().isBlank() || e.getValue() == null || e.getValue().isBlank()) {
                throw new CliException(DualWriteCli.EXIT_BAD_INPUT, "--entity takes TYPE=COLLECTION, not '"
                        + e.getKey() + "=" + e.getValue() + "'");
            }
        }
        long millis = serverTimeout.toMillis();
        MongoClientSettings settings = MongoClientSettings.builder().applyConnectionString(cs)
                .applyToClusterSettings(b -> b.serverSelectionTimeout(millis, TimeUnit.MILLISECONDS))
                .applyToSocketSettings(b -> b.connectTimeout((int) Math.min(Integer.MAX_VALUE, millis),
                        TimeUnit.MILLISECONDS))
                .build();
        MongoClient client = MongoClients.create(settings);
        try {
            MongoDatabase db = client.getDatabase(name);
            db.runCommand(new Document("ping", 1));
            Operations.Builder b = Operations.builder(db).deadLetterCollection(deadLetterCollection);
            entities.forEach(b::entity);
            return new Primary(client, b.build());
        } catch (MongoTimeoutException e) {
            client.close();
            throw new CliException(DualWriteCli.EXIT_UNREACHABLE, "MongoDB at " + cs.getHosts() + " did not answer"
                    + " within " + Times.human(serverTimeout) + " (--server-timeout)", e);
        } catch (MongoException e) {
            client.close();
            throw new CliException(DualWriteCli.EXIT_UNREACHABLE, "MongoDB at " + cs.getHosts() + " refused the"
                    + " connection: " + e.getMessage(), e);
        }
    }

    /** @return the operator's acts on this primary */
    Operations ops() {
        return ops;
    }

    @Override
    public void close() {
        client.close();
    }
}
