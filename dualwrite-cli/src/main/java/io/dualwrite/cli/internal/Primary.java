package io.dualwrite.cli.internal;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import io.dualwrite.cli.DualWriteCli;
import io.dualwrite.mongo.DualWriteFilters;
import io.dualwrite.mongo.MongoDeadLetterStore;
import io.dualwrite.mongo.reconcile.MongoReconcileStore;
import io.dualwrite.mongo.reconcile.ReconcileRequests;
import org.bson.BsonDocument;
import org.bson.BsonObjectId;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.types.ObjectId;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The primary as the command line sees it: one database, its entity collections by entity type, and the dead-letter
 * store. Opening it checks that a server answers within the timeout, so an unreachable MongoDB fails before anything
 * is read or changed. Not thread-safe (one per command).
 */
final class Primary implements AutoCloseable {
    /** Collections that are never entity collections: the library's own and MongoDB's. */
    private static final List<String> NOT_ENTITIES_PREFIXES = List.of("system.", "dualwrite_");
    private static final String WRITE_AHEAD_SUFFIX = "_dualwrite_intents";

    private final MongoClient client;
    private final MongoDatabase db;
    private final Map<String, String> mapped;
    private final MongoDeadLetterStore deadLetters;
    private final MongoReconcileStore reconcileReports;
    private final ReconcileRequests reconcileRequests;
    private Map<String, String> types;

    private Primary(MongoClient client, MongoDatabase db, Map<String, String> mapped, String deadLetterCollection) {
        this.client = client;
        this.db = db;
        this.mapped = mapped;
        // reads and changes only: the application's store owns the indexes
        this.deadLetters = MongoDeadLetterStore.builder(db).collectionName(deadLetterCollection).createIndexes(false)
                .build();
        this.reconcileReports = MongoReconcileStore.builder(db).createIndexes(false).build();
        this.reconcileRequests = ReconcileRequests.builder(db).build();
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
            return new Primary(client, db, new LinkedHashMap<>(entities), deadLetterCollection);
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

    MongoDeadLetterStore deadLetters() {
        return deadLetters;
    }

    /** @return the reports of the reconciliation runs, in the library's default collections */
    MongoReconcileStore reconcileReports() {
        return reconcileReports;
    }

    /** @return the reconciliation requests, which the application's request worker runs */
    ReconcileRequests reconcileRequests() {
        return reconcileRequests;
    }

    /**
     * The entity types this primary knows, with their collections: those given with {@code --entity}, every
     * collection holding documents with dualwrite's metadata (as a type of its own name unless mapped), and the
     * types named by dead letters whose collection exists.
     *
     * @return collection by entity type, sorted by type
     */
    Map<String, String> types() {
        if (types != null) {
            return types;
        }
        Map<String, String> found = new TreeMap<>(mapped);
        List<String> names = new ArrayList<>();
        db.listCollectionNames().into(names);
        for (String c : names) {
            if (mapped.containsValue(c) || NOT_ENTITIES_PREFIXES.stream().anyMatch(c::startsWith)
                    || c.endsWith(WRITE_AHEAD_SUFFIX) || c.equals(deadLetters.collection().getNamespace()
                    .getCollectionName())) {
                continue;
            }
            if (raw(c).find(Filters.exists(DualWriteFilters.FIELD)).projection(Projections.include("_id"))
                    .limit(1).first() != null) {
                found.putIfAbsent(c, c);
            }
        }
        for (String t : deadLetters.collection().distinct(MongoDeadLetterStore.FIELD_TYPE, String.class)) {
            if (!found.containsKey(t) && names.contains(t)) {
                found.put(t, t);
            }
        }
        types = found;
        return types;
    }

    /**
     * @param type an entity type the operator named
     * @return the type, known here
     * @throws CliException (bad input) when it is not
     */
    String requireType(String type) {
        if (!types().containsKey(type) && !typesOfDeadLetters().contains(type)) {
            throw new CliException(DualWriteCli.EXIT_BAD_INPUT, "unknown entity type '" + type + "' (known: "
                    + String.join(", ", knownTypes()) + "; map one with --entity TYPE=COLLECTION)");
        }
        return type;
    }

    /** @return every known type: of collections and of dead letters */
    List<String> knownTypes() {
        TreeMap<String, Boolean> all = new TreeMap<>();
        types().keySet().forEach(t -> all.put(t, true));
        typesOfDeadLetters().forEach(t -> all.put(t, true));
        return new ArrayList<>(all.keySet());
    }

    private List<String> typesOfDeadLetters() {
        List<String> out = new ArrayList<>();
        deadLetters.collection().distinct(MongoDeadLetterStore.FIELD_TYPE, String.class).into(out);
        return out;
    }

    /**
     * @param type an entity type
     * @return its collection, raw
     * @throws CliException (bad input) when the type has no known collection
     */
    MongoCollection<BsonDocument> collectionOf(String type) {
        String c = types().get(type);
        if (c == null) {
            throw new CliException(DualWriteCli.EXIT_BAD_INPUT, "no collection is known for entity type '" + type
                    + "': give --entity " + type + "=<collection>");
        }
        return raw(c);
    }

    MongoCollection<BsonDocument> raw(String collection) {
        return db.getCollection(collection, BsonDocument.class);
    }

    MongoCollection<Document> collection(String collection) {
        return db.getCollection(collection);
    }

    /**
     * @param collection an entity collection
     * @param id         an entity id as dualwrite names it
     * @return the {@code _id} of its document (an ObjectId when it is stored as one), if the document exists
     */
    Optional<BsonValue> documentId(MongoCollection<BsonDocument> collection, String id) {
        List<BsonValue> candidates = new ArrayList<>(2);
        candidates.add(new BsonString(id));
        if (ObjectId.isValid(id)) {
            candidates.add(new BsonObjectId(new ObjectId(id)));
        }
        for (BsonValue v : candidates) {
            if (collection.find(Filters.eq("_id", v)).projection(Projections.include("_id")).first() != null) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        client.close();
    }
}
