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
package io.dualwrite.internal;

import io.dualwrite.DualWriteMetrics;
import org.slf4j.MDC;

/**
 * Puts the correlation id and idempotency key in the SLF4J MDC and restores what was there
 * before on close. Not thread-safe: one per thread and write.
 */
final class MdcScope implements AutoCloseable {
    private final String previousCorrelation;
    private final String previousKey;

    private MdcScope(String correlationId, String idempotencyKey) {
        previousCorrelation = MDC.get(DualWriteMetrics.MDC_CORRELATION_ID);
        previousKey = MDC.get(DualWriteMetrics.MDC_IDEMPOTENCY_KEY);
        put(DualWriteMetrics.MDC_CORRELATION_ID, correlationId);
        put(DualWriteMetrics.MDC_IDEMPOTENCY_KEY, idempotencyKey);
    }

    static MdcScope open(String correlationId, String idempotencyKey) {
        return new MdcScope(correlationId, idempotencyKey);
    }

    static void idempotencyKey(String key) {
        put(DualWriteMetrics.MDC_IDEMPOTENCY_KEY, key);
    }

    private static void put(String key, String value) {
        if (value == null) {
            MDC.remove(key);
        } else {
            MDC.put(key, value);
        }
    }

    /**
     * @param call a task to run on another thread
     * @param <R>  its result type
     * @return the task, run with the calling thread's MDC and restoring the worker's afterwards
     */
    static <R> java.util.concurrent.Callable<R> propagating(java.util.concurrent.Callable<R> call) {
        java.util.Map<String, String> context = MDC.getCopyOfContextMap();
        return () -> {
            java.util.Map<String, String> before = MDC.getCopyOfContextMap();
            if (context != null) {
                MDC.setContextMap(context);
            } else {
                MDC.clear();
            }
            try {
                return call.call();
            } finally {
                if (before != null) {
                    MDC.setContextMap(before);
                } else {
                    MDC.clear();
                }
            }
        };
    }

    @Override
    public void close() {
        put(DualWriteMetrics.MDC_CORRELATION_ID, previousCorrelation);
        put(DualWriteMetrics.MDC_IDEMPOTENCY_KEY, previousKey);
    }
}
