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
package io.dualwrite.opensearch;

import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.AbstractReconciliationContractTest;
import io.dualwrite.testkit.contract.Stored;

import java.util.Optional;

/**
 * The reconciliation contract against a real OpenSearch index, the case users ask about most:
 * documents whose delete never reached the index, and writes the index never got. Documents are
 * read back with the engine's own API. The index keeps the version as the document's external
 * version, which it will not lower, so the test of drift made by hand is skipped here.
 */
class OpenSearchReconciliationTest extends AbstractReconciliationContractTest {
    private String index;

    @Override
    protected ReconcilableSink<TestItem> newSink() {
        index = OpenSearchTestSupport.newIndexName("reconcile");
        return OpenSearchSink.builder("item", TestItem.class).client(OpenSearchTestSupport.client()).index(index)
                .indexSettings(OpenSearchTestSupport.TEST_INDEX_SETTINGS).refresh(RefreshPolicy.IMMEDIATE).build();
    }

    @Override
    protected Optional<Stored<TestItem>> readBack(String id) throws Exception {
        return OpenSearchTestSupport.readBack(index, id);
    }

    @Override
    protected void dispose(ReconcilableSink<TestItem> sink) throws Exception {
        OpenSearchTestSupport.deleteIndex(index);
    }
}
