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
