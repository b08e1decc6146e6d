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

import java.util.OptionalLong;

/**
 * A {@link DeliveryPolicy#REQUIRED} sink could not apply a write, so the write was undone:
 * the before-image was committed as a new version ({@link #compensationVersion()}) and sent to
 * every sink. When the compensation itself could not be committed (the primary failed, or a
 * newer write had already replaced ours) the version is empty and the primary keeps the
 * write; recovery then brings the sinks to it. When the primary's answer to the compensation was
 * lost, {@link #compensationOutcomeUnknown()} says so: the primary holds either the write or its
 * compensation, and recovery brings the sinks to whichever it is.
 */
public class RequiredSinkFailedException extends DualWriteException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /** Serialized with the exception: its {@code sink}. */
    private final String sink;
    /** Serialized with the exception: its {@code failedVersion}. */
    private final long failedVersion;
    /** Serialized with the exception: its {@code compensationVersion}. */
    private final long compensationVersion;
    /** Serialized with the exception: its {@code kind}. */
    private final ErrorKind kind;
    /** Serialized with the exception: its {@code compensationOutcomeUnknown}. */
    private final boolean compensationOutcomeUnknown;
    /** Serialized with the exception: its {@code result}. */
    private final transient WriteResult result;

    /**
     * @param sink                the REQUIRED sink that failed
     * @param result              the write's result, with every sink's outcome
     * @param compensationVersion the version of the compensating write, or -1 when none was committed
     * @param kind                the failure's kind
     * @param cause               the sink's failure
     */
    public RequiredSinkFailedException(String sink, WriteResult result, long compensationVersion, ErrorKind kind,
                                       Throwable cause) {
        this(sink, result, compensationVersion, false, kind, cause);
    }

    /**
     * @param sink                       the REQUIRED sink that failed
     * @param result                     the write's result, with every sink's outcome
     * @param compensationVersion        the version of the compensating write, or -1 when none is known to be committed
     * @param compensationOutcomeUnknown true when the primary's answer to the compensation was lost
     * @param kind                       the failure's kind
     * @param cause                      the sink's failure
     */
    public RequiredSinkFailedException(String sink, WriteResult result, long compensationVersion,
                                       boolean compensationOutcomeUnknown, ErrorKind kind, Throwable cause) {
        super("required sink '" + sink + "' failed (" + kind + ": " + describe(cause) + ") for " + result.entityType()
                + "/" + result.id() + "@" + result.version()
                + (compensationVersion > 0 ? "; compensated as version " + compensationVersion
                : compensationOutcomeUnknown ? "; whether the compensation was committed is unknown (its reply was lost):"
                + " the primary holds the write or its compensation, and recovery delivers whichever it is"
                : "; NOT compensated, the primary keeps the write and recovery delivers it"),
                result.entityType(), result.id(), cause);
        this.sink = sink;
        this.failedVersion = result.version();
        this.compensationVersion = compensationVersion;
        this.compensationOutcomeUnknown = compensationVersion <= 0 && compensationOutcomeUnknown;
        this.kind = kind;
        this.result = result;
    }

    private static String describe(Throwable cause) {
        if (cause == null) {
            return "no cause";
        }
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : " " + cause.getMessage());
    }

    /** @return the name of the REQUIRED sink that failed */
    public String sink() {
        return sink;
    }

    /** @return the version that was written and then undone */
    public long failedVersion() {
        return failedVersion;
    }

    /** @return the version of the compensating write, empty when no compensation was committed */
    public OptionalLong compensationVersion() {
        return compensationVersion > 0 ? OptionalLong.of(compensationVersion) : OptionalLong.empty();
    }

    /**
     * @return true when the compensation was sent but the primary's answer was lost: the primary holds
     *         either the failed write or its compensation ({@link #compensationVersion()} is empty)
     */
    public boolean compensationOutcomeUnknown() {
        return compensationOutcomeUnknown;
    }

    /** @return how the sink's failure was classified */
    public ErrorKind kind() {
        return kind;
    }

    /** @return the write's result with each sink's outcome (null after deserialization) */
    public WriteResult result() {
        return result;
    }
}
