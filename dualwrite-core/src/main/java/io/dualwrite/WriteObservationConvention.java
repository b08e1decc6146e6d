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
package io.dualwrite;

import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names the observation of a write and its key values. The default,
 * {@link #DEFAULT}, names it {@value DualWriteMetrics#WRITE} with the low-cardinality keys
 * {@code type}, {@code operation} and {@code outcome} (the tags of the {@value DualWriteMetrics#WRITE}
 * timer a meter handler makes of it) and the high-cardinality keys
 * {@code dualwrite.correlation_id} and {@code dualwrite.idempotency_key} (for traces only).
 * Replace it with {@link DualWriterBuilder#observationConvention}; a convention that keeps the
 * default's keys and adds its own can extend {@link #DEFAULT}'s behaviour by delegation.
 * Implementations must be thread-safe.
 */
public interface WriteObservationConvention extends ObservationConvention<WriteObservationContext> {

    /** The default convention. */
    WriteObservationConvention DEFAULT = new WriteObservationConvention() {
        @Override
        public String getName() {
            return DualWriteMetrics.WRITE;
        }

        @Override
        public String getContextualName(WriteObservationContext context) {
            return "dualwrite " + context.operation().name().toLowerCase(java.util.Locale.ROOT) + " "
                    + context.entityType();
        }

        @Override
        public KeyValues getLowCardinalityKeyValues(WriteObservationContext context) {
            return KeyValues.of(DualWriteMetrics.TAG_TYPE, context.entityType(),
                    DualWriteMetrics.TAG_OPERATION, context.operation().name(),
                    DualWriteMetrics.TAG_OUTCOME, context.outcome());
        }

        @Override
        public KeyValues getHighCardinalityKeyValues(WriteObservationContext context) {
            KeyValues kv = KeyValues.of("dualwrite.correlation_id", context.correlationId());
            return context.idempotencyKey().map(k -> kv.and("dualwrite.idempotency_key", k)).orElse(kv);
        }
    };

    @Override
    default boolean supportsContext(Observation.Context context) {
        return context instanceof WriteObservationContext;
    }
}
