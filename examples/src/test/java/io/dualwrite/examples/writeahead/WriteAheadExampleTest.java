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
package io.dualwrite.examples.writeahead;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoDatabase;
import io.dualwrite.SinkOutcome;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.testkit.mongo.MongoExtension;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Runs the README's write-ahead example: a repository's own save, wrapped. */
@ExtendWith(MongoExtension.class)
class WriteAheadExampleTest {

    @Test
    void repositorySavesAndDeleteReachTheSinkWithGrowingVersions(MongoDatabase db) {
        InMemorySink<StockItem> search = new InMemorySink<>();
        List<WriteResult> r = WriteAheadExample.saveThroughRepository(db.withCodecRegistry(WriteAheadExample.POJOS),
                search);
        for (WriteResult w : r) {
            assertEquals(SinkOutcome.APPLIED, w.outcomes().get("search"), "every write reaches the sink: " + w);
        }
        assertEquals(r.get(0).version() + 1, r.get(1).version(), "the repository's second save is the next version");
        assertEquals(r.get(1).version() + 1, r.get(2).version(), "the delete is the next version");
        assertTrue(search.isDeleted("sku-1"), "the sink holds the delete");
        assertEquals(r.get(2).version(), search.versionOf("sku-1").getAsLong(), "at the delete's version");
        assertEquals(0, db.getCollection("stock").countDocuments(), "the repository deleted the document");
    }
}
