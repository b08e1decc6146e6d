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
