package io.dualwrite.internal;

import java.util.List;

/** The outcome of one batch: one delivery per change, in order. */
final class BatchDelivery {
    final List<Delivery> items;

    BatchDelivery(List<Delivery> items) {
        this.items = items;
    }

    /** @return the outcome of change i */
    Delivery item(int i) {
        return items.get(i);
    }
}
