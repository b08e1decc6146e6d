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
package io.dualwrite.mongo.relay;

import com.mongodb.MongoCommandException;
import com.mongodb.ServerAddress;
import com.mongodb.ServerCursor;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;

/**
 * A change-stream cursor whose server "lost" the resume point: every read fails with
 * ChangeStreamHistoryLost (code 286), as a real server answers once the oplog rolled over. The
 * in-JVM test server replays unknown tokens instead, so the tests inject the error here.
 */
final class LostHistoryCursor implements MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>> {
    private final MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>> delegate;

    LostHistoryCursor(MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>> delegate) {
        this.delegate = delegate;
    }

    static MongoCommandException historyLost() {
        return new MongoCommandException(new BsonDocument("ok", new BsonInt32(0)).append("code", new BsonInt32(286))
                .append("codeName", new BsonString("ChangeStreamHistoryLost"))
                .append("errmsg", new BsonString("Resume of change stream was not possible, as the resume point may no"
                        + " longer be in the oplog")), new ServerAddress("127.0.0.1"));
    }

    @Override
    public BsonDocument getResumeToken() {
        return delegate.getResumeToken();
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public boolean hasNext() {
        throw historyLost();
    }

    @Override
    public ChangeStreamDocument<BsonDocument> next() {
        throw historyLost();
    }

    @Override
    public int available() {
        return 0;
    }

    @Override
    public ChangeStreamDocument<BsonDocument> tryNext() {
        throw historyLost();
    }

    @Override
    public ServerCursor getServerCursor() {
        return delegate.getServerCursor();
    }

    @Override
    public ServerAddress getServerAddress() {
        return delegate.getServerAddress();
    }
}
