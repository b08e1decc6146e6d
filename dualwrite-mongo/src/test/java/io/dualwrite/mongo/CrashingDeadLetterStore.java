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
package io.dualwrite.mongo;

import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.spi.DeadLetterStore;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An in-memory dead-letter store that can be told to "crash" right after its next add: the dead
 * letter is stored, then {@link SimulatedCrash} is thrown, which stands for the process dying
 * before whatever was to follow the add. Thread-safe.
 */
public final class CrashingDeadLetterStore implements DeadLetterStore {
    private final InMemoryDeadLetterStore letters = new InMemoryDeadLetterStore();
    private final AtomicBoolean crashAfterNextAdd = new AtomicBoolean();

    /** The process "dies" here: an {@link Error}, so that no part of dualwrite takes it for a failure to handle. */
    public static final class SimulatedCrash extends Error {
        private static final long serialVersionUID = 1L;

        SimulatedCrash() {
            super("the process died right after storing a dead letter");
        }
    }

    /** The next add stores its dead letter, then throws {@link SimulatedCrash}. */
    public void crashAfterNextAdd() {
        crashAfterNextAdd.set(true);
    }

    @Override
    public void add(DeadLetter deadLetter) {
        letters.add(deadLetter);
        if (crashAfterNextAdd.compareAndSet(true, false)) {
            throw new SimulatedCrash();
        }
    }

    @Override
    public List<DeadLetter> list(DeadLetterQuery query) {
        return letters.list(query);
    }

    @Override
    public Optional<DeadLetter> get(String id) {
        return letters.get(id);
    }

    @Override
    public boolean remove(String id) {
        return letters.remove(id);
    }

    @Override
    public long count() {
        return letters.count();
    }
}
