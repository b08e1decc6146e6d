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

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** An instance tag value is held until released, and a second release never frees the value a later writer holds. */
class MeterInstanceTest {

    @Test
    void aSecondReleaseDoesNotFreeTheValueALaterWriterHolds() {
        MeterInstance first = MeterInstance.claim("meter-instance-test", "w");
        assertEquals("w", first.value());
        first.release();
        MeterInstance later = MeterInstance.claim("meter-instance-test", "w");
        assertEquals("w", later.value(), "a released value is taken again");
        first.release();
        MeterInstance third = MeterInstance.claim("meter-instance-test", "w");
        assertEquals("w#2", third.value(), "the later writer still holds w");
        later.release();
        third.release();
    }
}
