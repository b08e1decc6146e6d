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
package io.dualwrite.redis;

import io.dualwrite.reconcile.DriftClass;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.reconcile.RepairOutcome;
import io.dualwrite.redis.internal.VersionGuardScript;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.AbstractReconciliationContractTest;
import io.dualwrite.testkit.contract.Stored;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The reconciliation contract against the real Redis, read and, for drift made by hand, changed
 * with plain hash commands; and, Redis's own case, content edited in the hash by hand, also a
 * state that is not JSON at all.
 */
class RedisReconciliationTest extends AbstractReconciliationContractTest {
    @RegisterExtension
    static final RedisFixture redis = new RedisFixture();
    private RedisKeyLayout layout;

    @Override
    protected ReconcilableSink<TestItem> newSink() {
        layout = redis.layout("reconcile");
        return RedisSink.builder(TYPE, TestItem.class).connection(redis.connection).keyLayout(layout).build();
    }

    @Override
    protected Optional<Stored<TestItem>> readBack(String id) throws Exception {
        return redis.readBack(layout, TYPE, id);
    }

    @Override
    protected boolean removeDirectly(String id) {
        return redis.connection.sync().del(layout.key(TYPE, id)) == 1;
    }

    @Override
    protected boolean setVersionDirectly(String id, long version) {
        redis.connection.sync().hset(layout.key(TYPE, id), VersionGuardScript.FIELD_VERSION, Long.toString(version));
        return true;
    }

    @Test
    void contentEditedInRedisIsFoundAmongTheOtherClassesAndRewritten() throws Exception {
        long phantom = makeDriftByHand();
        redis.connection.sync().hset(layout.key(TYPE, id(19)), VersionGuardScript.FIELD_STATE,
                RedisSinkTest.JSON.writeValueAsString(TestItem.variant(id(19), 90)));
        redis.connection.sync().hset(layout.key(TYPE, id(20)), VersionGuardScript.FIELD_STATE, "not json at all");
        long v19 = version(id(19));
        Reconciler reconciler = reconciler(sink(), true);

        ReconcileReport applied = reconciler.apply(ReconcileScope.all());

        assertEquals(2, applied.count(DriftClass.CONTENT_MISMATCH), applied.summary());
        assertEquals(1, applied.count(DriftClass.STALE), "the other classes as before: " + applied.summary());
        assertEquals(2, applied.count(DriftClass.ORPHAN), applied.summary());
        assertEquals(1, applied.count(DriftClass.AHEAD), "the phantom's content is not compared: " + applied.summary());
        assertEquals(2, applied.actions(RepairOutcome.REWRITTEN), applied.summary());
        assertEquals(2, applied.actions(RepairOutcome.REPUBLISHED), applied.summary());
        assertEquals(Stored.live(v19 + 1, TestItem.variant(id(19), 19)), readBack(id(19)).orElseThrow(),
                "Redis holds the primary's state again, at the primary's next version");
        assertEquals(TestItem.variant(id(20), 20), readBack(id(20)).orElseThrow().state().orElseThrow(),
                "a state that is not JSON is drift like any other");
        assertInSyncButForThePhantom(phantom);
        ReconcileReport second = reconciler.apply(ReconcileScope.all());
        assertEquals(1, second.drift(), "only the phantom is left: " + second.summary());
    }
}
