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
package io.dualwrite.mongo.reconcile;

import io.dualwrite.reconcile.ReconcileScope;
import org.bson.Document;

import java.util.List;

/** A {@link ReconcileScope} as the fields of a request document, and back. Stateless. */
final class ScopeFields {
    private ScopeFields() {
    }

    static Document write(ReconcileScope scope) {
        Document d = new Document("kind", scope.kind().name());
        scope.afterExclusive().ifPresent(a -> d.append("after", a));
        scope.toInclusive().ifPresent(t -> d.append("to", t));
        if (scope.kind() == ReconcileScope.Kind.IDS) {
            d.append("ids", scope.ids());
        }
        d.append("sinks", List.copyOf(scope.sinks())).append("text", scope.toString());
        return d;
    }

    static ReconcileScope read(Document d) {
        ReconcileScope scope = switch (ReconcileScope.Kind.valueOf(d.getString("kind"))) {
            case RANGE -> ReconcileScope.range(d.getString("after"), d.getString("to"));
            case IDS -> ReconcileScope.ids(d.getList("ids", String.class));
            default -> ReconcileScope.all();
        };
        List<String> sinks = d.getList("sinks", String.class);
        return sinks == null || sinks.isEmpty() ? scope : scope.sinks(sinks);
    }
}
