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
package io.dualwrite.mongo.events.internal;

import io.dualwrite.mongo.DualWriteFilters;
import io.dualwrite.mongo.events.EventRecorder;

/** Field names of {@code _dw.ev}, shared by the recorder and the relay. Thread-safe (constants). */
public final class EventFields {
    /** When the relay should look next. */
    public static final String DUE = "due";
    /** The claiming relay. */
    public static final String OWNER = "owner";
    /** Its lease expiry. */
    public static final String UNTIL = "until";
    /**
     * Per sink, the event that failed there transiently and waits for its next attempt:
     * {@code { v: its version, n: its failed attempts, first: its first error }}. A later event
     * starts its own count. (Older relays kept one shared {@code attempts} number; it is ignored.)
     */
    public static final String FAILED = "failed";
    /** Per sink, the last version published. */
    public static final String SENT = "sent";
    /** Size of the list in bytes. */
    public static final String BYTES = "bytes";
    /** The event records, in version order. */
    public static final String LIST = "list";
    /** Path of the events sub-document. */
    public static final String PATH = DualWriteFilters.FIELD + "." + EventRecorder.FIELD;

    private EventFields() {
    }
}
