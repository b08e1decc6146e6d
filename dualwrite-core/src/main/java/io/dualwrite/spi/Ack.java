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
package io.dualwrite.spi;

import java.util.Objects;

/**
 * "Sink {@code sink} holds version {@code version} of entity {@code id}": the store removes that
 * sink's intent if it asks for this version or an older one, and never an intent of a newer
 * write. Also used to drop an intent that went to the dead-letter store ({@link #deadLettered(String,
 * String, long, String)}): that one goes by its ref whatever its version, since the version of an
 * entity whose document cannot be read may never be known. Immutable.
 */
public final class Ack {
    private final String id;
    private final String sink;
    private final long version;
    private final String ref;
    private final boolean deadLettered;

    /**
     * @param id      the entity id
     * @param sink    the sink name
     * @param version the version the sink reached
     * @param ref     the intent's opaque store reference, may be null
     */
    public Ack(String id, String sink, long version, String ref) {
        this(id, sink, version, ref, false);
    }

    private Ack(String id, String sink, long version, String ref, boolean deadLettered) {
        this.id = Objects.requireNonNull(id, "id");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.version = version;
        this.ref = ref;
        this.deadLettered = deadLettered;
    }

    /**
     * "The intent {@code ref} of sink {@code sink} went to the dead-letter store at {@code version}": the
     * store removes that intent whatever version it asks for, and, like any ack, the sink's intents of
     * known versions at or below {@code version}.
     *
     * @param id      the entity id
     * @param sink    the sink name
     * @param version the version the dead letter records
     * @param ref     the intent's opaque store reference, may be null (then only versions count)
     * @return the acknowledgement
     */
    public static Ack deadLettered(String id, String sink, long version, String ref) {
        return new Ack(id, sink, version, ref, true);
    }

    /** @return the entity id */
    public String id() {
        return id;
    }

    /** @return the sink name */
    public String sink() {
        return sink;
    }

    /** @return the version the sink reached */
    public long version() {
        return version;
    }

    /** @return the intent's store reference, or null */
    public String ref() {
        return ref;
    }

    /** @return true when the intent went to the dead-letter store rather than reached the sink */
    public boolean deadLettered() {
        return deadLettered;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Ack)) {
            return false;
        }
        Ack a = (Ack) o;
        return version == a.version && deadLettered == a.deadLettered && id.equals(a.id) && sink.equals(a.sink) && Objects.equals(ref, a.ref);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, sink, version, ref, deadLettered);
    }

    @Override
    public String toString() {
        return "Ack{" + id + " " + sink + "@" + version + (deadLettered ? " dead-lettered" : "") + "}";
    }
}
