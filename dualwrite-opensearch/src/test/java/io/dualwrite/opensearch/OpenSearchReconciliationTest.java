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
        return OpenSearchSink.<TestItem>builder().client(OpenSearchTestSupport.client()).index(index)
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
