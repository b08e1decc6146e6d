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
package io.dualwrite.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dualwrite.Change;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.AbstractSinkContractTest;
import io.dualwrite.testkit.contract.Stored;
import io.dualwrite.testkit.http.FakeThirdPartyApi;
import org.junit.jupiter.api.AfterEach;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The sink contract against a real HTTP server in the test (a fresh {@link FakeThirdPartyApi} per
 * test) that deduplicates by request key, refuses stale versions with 409 and blank names with 422.
 */
class HttpSinkContractTest extends AbstractSinkContractTest<TestItem> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private FakeThirdPartyApi api;

    @Override
    protected Sink<TestItem> createSink() throws Exception {
        api = FakeThirdPartyApi.start(seed()).accepting(state -> !state.path("name").asText().isBlank());
        return builder().build();
    }

    private HttpSink.Builder<TestItem> builder() {
        return HttpSink.builder(entityType(), TestItem.class).upsert("PUT", api.uri() + "/{type}s/{id}");
    }

    /** A body mapper that meets a null it did not expect for one entity. */
    @Override
    protected Optional<Sink<TestItem>> sinkWithMappingFailingFor(String unmappableId) {
        HttpBodyMapper<TestItem> json = HttpBodyMapper.json(JSON);
        return Optional.of(builder().bodyMapper(change -> {
            if (change.id().equals(unmappableId)) {
                throw new NullPointerException("the mapper found no value it needs in " + change.id());
            }
            return json.body(change);
        }).build());
    }

    @Override
    protected void dispose(Sink<TestItem> sink) {
        api.close();
    }

    @AfterEach
    void noKeyAppliedTwice() {
        assertEquals(List.of(), api.keysAppliedMoreThanOnce(), "the API must never apply a request key twice");
    }

    @Override
    protected TestItem entity(String id, int variant) {
        return TestItem.variant(id, variant);
    }

    /** A blank name breaks the API's business rule: 422 every time. */
    @Override
    protected Optional<Change<TestItem>> permanentlyRejectedChange(String id, long version) {
        Change<TestItem> good = upsert(id, version, 0);
        return Optional.of(good.toBuilder().state(good.requireState().withName(" ")).build());
    }

    /** Reads what the API holds from the server's own records, not through the sink. */
    @Override
    protected Optional<Stored<TestItem>> readBack(Sink<TestItem> sink, String id) throws Exception {
        if (api.version(id).isEmpty()) {
            return Optional.empty();
        }
        long version = api.version(id).getAsLong();
        if (api.isDeleted(id)) {
            return Optional.of(Stored.deleted(version));
        }
        return Optional.of(Stored.live(version, JSON.treeToValue(api.state(id).orElseThrow(), TestItem.class)));
    }
}
