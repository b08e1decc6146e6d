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
package io.dualwrite.http.internal;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Reads a reply's body without holding it: keeps its first bytes when the status is not 2xx (for
 * the error message), discards the rest, and stops once more than a cap has arrived — cancelling
 * the body, which makes the client close the connection instead of pooling it. Also remembers the
 * status once the reply's headers have come, so a caller whose deadline passes can tell a stalled
 * body from a reply that never started. One instance per exchange; thread-safe.
 */
public final class ReplyBody implements HttpResponse.BodyHandler<ReplyBody.Read> {
    private final int errorHeadBytes;
    private final long maxBytes;
    private volatile int status = -1;

    /**
     * @param errorHeadBytes bytes kept from the start of a non-2xx reply's body, at least 0
     * @param maxBytes       bytes read at most; a longer body is cut off there, at least {@code errorHeadBytes}
     */
    public ReplyBody(int errorHeadBytes, long maxBytes) {
        if (errorHeadBytes < 0 || maxBytes < errorHeadBytes) {
            throw new IllegalArgumentException("need 0 <= errorHeadBytes <= maxBytes, was " + errorHeadBytes + ", " + maxBytes);
        }
        this.errorHeadBytes = errorHeadBytes;
        this.maxBytes = maxBytes;
    }

    /** @return the reply's status once its headers have come, empty before */
    public OptionalInt status() {
        int s = status;
        return s < 0 ? OptionalInt.empty() : OptionalInt.of(s);
    }

    @Override
    public HttpResponse.BodySubscriber<Read> apply(HttpResponse.ResponseInfo info) {
        status = info.statusCode();
        return new Reader(info.statusCode() / 100 == 2 ? 0 : errorHeadBytes, maxBytes);
    }

    /**
     * What was read of a body. Immutable.
     *
     * @param head the first bytes kept (none for a 2xx)
     * @param cut  true when the body was longer than the cap and the rest was not read
     */
    public record Read(byte[] head, boolean cut) {
    }

    /** Signals come one at a time (Reactive Streams rule 1.3), so the fields need no lock. */
    private static final class Reader implements HttpResponse.BodySubscriber<Read> {
        private final CompletableFuture<Read> body = new CompletableFuture<>();
        private final byte[] head;
        private final long maxBytes;
        private int kept;
        private long read;
        private Flow.Subscription subscription;

        Reader(int keep, long maxBytes) {
            this.head = new byte[keep];
            this.maxBytes = maxBytes;
        }

        @Override
        public CompletionStage<Read> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (body.isDone()) {
                return;
            }
            for (ByteBuffer b : items) {
                int n = b.remaining();
                int keep = Math.min(n, head.length - kept);
                b.get(head, kept, keep);
                kept += keep;
                read += n;
            }
            if (read > maxBytes) {
                subscription.cancel();
                body.complete(new Read(Arrays.copyOf(head, kept), true));
            }
        }

        @Override
        public void onError(Throwable error) {
            body.completeExceptionally(error);
        }

        @Override
        public void onComplete() {
            body.complete(new Read(Arrays.copyOf(head, kept), false));
        }
    }
}
