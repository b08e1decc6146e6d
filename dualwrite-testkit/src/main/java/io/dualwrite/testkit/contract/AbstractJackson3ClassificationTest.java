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
package io.dualwrite.testkit.contract;

import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * What Jackson 3 throws for an entity it cannot write (a getter that throws, a bean with nothing to write) or JSON it
 * cannot read must be a {@link ErrorKind#PERMANENT} failure to a sink's classifier, bare or wrapped as a future wraps
 * it: mapping again fails again, so the change is dead-lettered, never retried. A sink's tests extend this class and
 * give the sink's classifier. Needs {@code tools.jackson.core:jackson-databind} on the test classpath.
 */
public abstract class AbstractJackson3ClassificationTest {
    /** A getter that throws. */
    public static final class Unwritable {
        /** @return never: it throws */
        public String getName() {
            throw new IllegalStateException("no name");
        }
    }

    /** Nothing to write. */
    public static final class Empty {
    }

    /** @return the classifier of the sink under test */
    protected abstract ErrorClassifier classifier();

    @Test
    void jackson3FailuresArePermanent() {
        JsonMapper mapper = JsonMapper.builder().enable(SerializationFeature.FAIL_ON_EMPTY_BEANS).build();
        JacksonException getter = assertThrows(JacksonException.class, () -> mapper.writeValueAsString(new Unwritable()));
        JacksonException empty = assertThrows(JacksonException.class, () -> mapper.writeValueAsString(new Empty()));
        JacksonException parse = assertThrows(JacksonException.class, () -> mapper.readTree("{\"a\": "));
        ErrorClassifier classifier = classifier();
        for (JacksonException e : new JacksonException[] {getter, empty, parse}) {
            assertEquals(ErrorKind.PERMANENT, classifier.classify(e), e.getClass().getName());
            assertEquals(ErrorKind.PERMANENT, classifier.classify(new ExecutionException(e)),
                    "wrapped by a future: " + e.getClass().getName());
            assertEquals(ErrorKind.PERMANENT, classifier.classify(new CompletionException(e)),
                    "wrapped by a completion: " + e.getClass().getName());
        }
    }
}
