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

import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.MongoExecutionTimeoutException;
import com.mongodb.MongoNodeIsRecoveringException;
import com.mongodb.MongoNotPrimaryException;
import com.mongodb.MongoSecurityException;
import com.mongodb.MongoSocketOpenException;
import com.mongodb.MongoSocketReadException;
import com.mongodb.MongoSocketReadTimeoutException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.MongoWriteConcernException;
import com.mongodb.MongoWriteException;
import com.mongodb.MongoCredential;
import com.mongodb.ServerAddress;
import com.mongodb.WriteConcernResult;
import com.mongodb.WriteError;
import com.mongodb.bulk.BulkWriteError;
import com.mongodb.bulk.BulkWriteResult;
import com.mongodb.bulk.WriteConcernError;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.ErrorKind;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.Document;
import org.bson.codecs.configuration.CodecConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The driver's signals map to the right kind; real failures from a real server are classified too. */
@ExtendWith(MongoExtension.class)
class MongoErrorClassifierTest {
    private static final ServerAddress HOST = new ServerAddress("127.0.0.1", 27017);
    private final MongoErrorClassifier c = MongoErrorClassifier.INSTANCE;

    private static MongoCommandException command(int code) {
        return new MongoCommandException(new BsonDocument("ok", new BsonInt32(0)).append("code", new BsonInt32(code))
                .append("errmsg", new BsonString("code " + code)), HOST);
    }

    @Test
    void errorLabelsDecideFirst() {
        MongoException retryable = command(9999);
        retryable.addLabel("RetryableWriteError");
        assertEquals(ErrorKind.TRANSIENT, c.classify(retryable), "RetryableWriteError is transient");
        MongoException txn = command(9999);
        txn.addLabel(MongoException.TRANSIENT_TRANSACTION_ERROR_LABEL);
        assertEquals(ErrorKind.TRANSIENT, c.classify(txn), "TransientTransactionError is transient");
        MongoException commit = command(9999);
        commit.addLabel(MongoException.UNKNOWN_TRANSACTION_COMMIT_RESULT_LABEL);
        assertEquals(ErrorKind.UNKNOWN_OUTCOME, c.classify(commit), "UnknownTransactionCommitResult is unknown");
    }

    @Test
    void networkAndTimeouts() {
        assertEquals(ErrorKind.TRANSIENT, c.classify(new MongoSocketOpenException("refused", HOST, new IOException())),
                "nothing was sent when the socket did not open");
        assertEquals(ErrorKind.TRANSIENT, c.classify(new MongoTimeoutException("no server selected")),
                "a server selection timeout comes before sending");
        assertEquals(ErrorKind.UNKNOWN_OUTCOME,
                c.classify(new MongoSocketReadTimeoutException("read timed out", HOST, new IOException())),
                "a read timeout comes after sending");
        assertEquals(ErrorKind.UNKNOWN_OUTCOME, c.classify(new MongoSocketReadException("closed", HOST)),
                "a connection closed while waiting for the reply leaves the outcome unknown");
        assertEquals(ErrorKind.TRANSIENT, c.classify(new MongoExecutionTimeoutException(50, "maxTimeMS")),
                "the server stopped the operation in time");
        assertEquals(ErrorKind.TRANSIENT, c.classify(new MongoNotWrittenException("product", "p1",
                new MongoSocketReadException("closed", HOST))), "a failed read before the write wrote nothing");
        assertEquals(ErrorKind.PERMANENT, c.classify(new MongoNotWrittenException("product", "p1",
                command(13))), "unless the read failed for good");
        assertEquals(ErrorKind.UNKNOWN_OUTCOME, c.classify(new CompletionException(
                new MongoSocketReadTimeoutException("t", HOST, new IOException()))), "wrappers are unwrapped");
    }

    @Test
    void serverCodes() {
        for (int code : List.of(10107, 13435, 189, 91, 11600, 11602, 112, 262)) {
            assertEquals(ErrorKind.TRANSIENT, c.classify(command(code)), "code " + code + " is transient");
        }
        assertEquals(ErrorKind.TRANSIENT, c.classify(new MongoNotPrimaryException(new BsonDocument("code",
                new BsonInt32(10107)), HOST)), "not primary");
        assertEquals(ErrorKind.TRANSIENT, c.classify(new MongoNodeIsRecoveringException(new BsonDocument("code",
                new BsonInt32(91)), HOST)), "shutting down");
        for (int code : List.of(2, 121, 10334, 17419, 13, 18, 11000)) {
            assertEquals(ErrorKind.PERMANENT, c.classify(command(code)), "code " + code + " is permanent");
        }
    }

    @Test
    void writeErrorsAndWriteConcern() {
        assertEquals(ErrorKind.PERMANENT, c.classify(new MongoWriteException(
                new WriteError(11000, "E11000 duplicate key", new BsonDocument()), HOST, Set.of())), "duplicate key");
        assertEquals(ErrorKind.PERMANENT, c.classify(new MongoWriteException(
                new WriteError(121, "Document failed validation", new BsonDocument()), HOST, Set.of())), "validation");
        assertEquals(ErrorKind.TRANSIENT, c.classify(new MongoWriteConcernException(
                new WriteConcernError(64, "WriteConcernFailed", "waiting for replication timed out", new BsonDocument()),
                WriteConcernResult.acknowledged(1, true, null), HOST, Set.of())), "a write-concern error");
        assertEquals(ErrorKind.TRANSIENT, c.classify(new MongoBulkWriteException(BulkWriteResult.unacknowledged(),
                List.of(), new WriteConcernError(64, "x", "y", new BsonDocument()), HOST, Set.of())),
                "a bulk write with only a write-concern error");
        assertEquals(ErrorKind.PERMANENT, c.classify(new MongoBulkWriteException(BulkWriteResult.unacknowledged(),
                List.of(new BulkWriteError(2, "bad value", new BsonDocument(), 0)), null, HOST, Set.of())),
                "a bulk write with a bad value");
        assertEquals(ErrorKind.PERMANENT, c.classify(new MongoSecurityException(
                MongoCredential.createCredential("u", "admin", "p".toCharArray()), "auth failed")), "authentication");
        assertEquals(ErrorKind.PERMANENT, c.classify(new CodecConfigurationException("no codec")), "no codec");
    }

    @Test
    void realFailuresFromARealServer(MongoDatabase db) {
        MongoCollection<Document> coll = db.getCollection(Collections.uniqueName("errors"));
        coll.insertOne(new Document("_id", "a"));
        MongoWriteException dup = assertThrows(MongoWriteException.class, () -> coll.insertOne(new Document("_id", "a")));
        assertEquals(ErrorKind.PERMANENT, c.classify(dup), "a real duplicate key is permanent");
    }
}
