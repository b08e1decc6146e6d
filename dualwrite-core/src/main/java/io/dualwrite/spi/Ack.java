package io.dualwrite.spi;

import java.util.Objects;

/**
 * "Sink {@code sink} holds version {@code version} of entity {@code id}": the store removes that
 * sink's intent if it asks for this version or an older one, and never an intent of a newer
 * write. Also used to drop an intent that went to the dead-letter store. Immutable.
 */
public final class Ack {
    private final String id;
    private final String sink;
    private final long version;
    private final String ref;

    /**
     * @param id      the entity id
     * @param sink    the sink name
     * @param version the version the sink reached
     * @param ref     the intent's opaque store reference, may be null
     */
    public Ack(String id, String sink, long version, String ref) {
        this.id = Objects.requireNonNull(id, "id");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.version = version;
        this.ref = ref;
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

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Ack)) {
            return false;
        }
        Ack a = (Ack) o;
        return version == a.version && id.equals(a.id) && sink.equals(a.sink) && Objects.equals(ref, a.ref);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, sink, version, ref);
    }

    @Override
    public String toString() {
        return "Ack{" + id + " " + sink + "@" + version + "}";
    }
}
