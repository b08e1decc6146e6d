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
package io.dualwrite.json;

/**
 * Which Jackson is on the classpath. Touches {@link Jackson3Json} only once Jackson 3 is known to be there, so that
 * an application without it never links a class that names Jackson 3's types. Stateless.
 */
final class JsonFlavours {
    private static final String JACKSON3_MAPPER = "tools.jackson.databind.ObjectMapper";

    private JsonFlavours() {
    }

    static boolean jackson3Available() {
        try {
            Class.forName(JACKSON3_MAPPER, false, JsonFlavours.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    static Json jackson3() {
        return Jackson3Json.defaults();
    }
}
