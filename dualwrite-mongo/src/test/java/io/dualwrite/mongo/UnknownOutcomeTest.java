package io.dualwrite.mongo;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import io.dualwrite.Operation;
import io.dualwrite.Versions;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.IntentSpec;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.testkit.mongo.InJvmMongo;
import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * When the reply to the store's own write is lost (the write landed, the client timed out
 * reading), the store learns the outcome by reading the document instead of writing again.
 * Uses its own in-JVM server behind a proxy that swallows one reply.
 */
class UnknownOutcomeTest {

    @Test
    void aLostReplyIsResolvedByReadingTheDocumentNotByWritingAgain() throws Exception {
        try (InJvmMongo mongo = InJvmMongo.start();
             ReplyDroppingProxy proxy = new ReplyDroppingProxy("127.0.0.1", mongo.port());
             MongoClient client = MongoClients.create(MongoClientSettings.builder()
                     .applyConnectionString(new ConnectionString("mongodb://127.0.0.1:" + proxy.port()))
                     .applyToSocketSettings(b -> b.readTimeout(400, TimeUnit.MILLISECONDS))
                     .retryWrites(false).build())) {
            MongoCollection<Product> products = Collections.products(client.getDatabase("unknown"));
            MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).build();
            Instant t0 = Fixture.START;

            proxy.dropNextReplyTo("insert");
            Committed<Product> created = store.commit(write(new Product("q1", "new", 1), t0));
            assertEquals(1, proxy.dropped(), "the insert's reply was swallowed");
            assertEquals(Committed.Status.WRITTEN, created.status(), "the store learned that its insert landed");
            assertEquals(Versions.firstVersion(t0), created.version(), "with the version it wrote");

            proxy.dropNextReplyTo("update");
            Committed<Product> updated = store.commit(write(new Product("q1", "changed", 2), t0.plusSeconds(1)));
            assertEquals(2, proxy.dropped(), "the replace's reply was swallowed");
            assertEquals(created.version() + 1, updated.version(), "the store learned that its replace landed");
            BsonDocument raw = products.withDocumentClass(BsonDocument.class).find(Filters.eq("_id", "q1")).first();
            assertEquals(created.version() + 1, raw.getDocument(DualWriteFilters.FIELD).getInt64("v").getValue(),
                    "written once: a blind retry would have made it version + 2");
            assertEquals("changed", store.read("q1").orElseThrow().state().orElseThrow().getName(), "the new state");
        }
    }

    private static PrimaryWrite<Product> write(Product p, Instant t) {
        return PrimaryWrite.<Product>builder().id(p.getId()).operation(Operation.UPSERT).state(p)
                .intents(List.of(new IntentSpec("search", t.plusSeconds(30)))).correlationId("c-" + t).time(t).build();
    }
}
