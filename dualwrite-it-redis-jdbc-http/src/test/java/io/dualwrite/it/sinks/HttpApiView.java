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
package io.dualwrite.it.sinks;

import io.dualwrite.http.HttpSink;
import io.dualwrite.testkit.ForwardingSink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.http.FakeThirdPartyApi;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP sink, made listable for the convergence check by reading what the third party holds
 * from the fake API's own records (a real third party rarely lets a client list its data).
 */
final class HttpApiView extends ForwardingSink<TestItem> {
    private final FakeThirdPartyApi api;

    HttpApiView(HttpSink<TestItem> sink, FakeThirdPartyApi api) {
        super(sink);
        this.api = api;
    }

    @Override
    public Map<String, Long> versionsOf(Collection<String> ids) {
        Map<String, Long> live = api.liveVersions();
        Map<String, Long> out = new LinkedHashMap<>();
        for (String id : ids) {
            if (live.containsKey(id)) {
                out.put(id, live.get(id));
            }
        }
        return out;
    }

    @Override
    public List<String> idsAfter(String afterExclusive, int limit) {
        List<String> out = new ArrayList<>();
        for (String id : api.liveVersions().keySet()) {
            if ((afterExclusive == null || id.compareTo(afterExclusive) > 0) && out.size() < limit) {
                out.add(id);
            }
        }
        return out;
    }
}
