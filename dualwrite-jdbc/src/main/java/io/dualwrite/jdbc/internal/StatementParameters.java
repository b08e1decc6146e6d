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
package io.dualwrite.jdbc.internal;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The parameters of one statement, recorded without a database and bound to the real statement
 * later, as often as it is run. {@link #record} hands the binding code a {@link PreparedStatement}
 * that takes only the parameter setters ({@code setString(1, …)}, {@code setObject(5, …, Types.OTHER)},
 * {@code setNull(6, Types.NULL)}…) and remembers each call; any other call (executing, reading
 * metadata, reaching the connection) fails with an {@link UnsupportedOperationException}, since
 * mapping does no I/O. Immutable once recorded (the values themselves are kept as given);
 * thread-safe.
 */
public final class StatementParameters {
    private final List<Setter> setters;

    private StatementParameters(List<Setter> setters) {
        this.setters = List.copyOf(setters);
    }

    /**
     * Code that sets a statement's parameters.
     */
    @FunctionalInterface
    public interface Binding {
        /**
         * @param ps the statement whose parameters to set
         * @throws Exception when the parameters cannot be made
         */
        void bind(PreparedStatement ps) throws Exception;
    }

    /**
     * Runs the binding code against a recording statement.
     *
     * @param binding the code, not null
     * @return what it set, in order
     * @throws Exception what the binding code throws, or an {@link UnsupportedOperationException}
     *                   when it calls anything but a parameter setter
     */
    public static StatementParameters record(Binding binding) throws Exception {
        Objects.requireNonNull(binding, "binding");
        List<Setter> recorded = new ArrayList<>();
        PreparedStatement recorder = (PreparedStatement) Proxy.newProxyInstance(
                StatementParameters.class.getClassLoader(), new Class<?>[] {PreparedStatement.class},
                (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return objectMethod(proxy, method, args);
                    }
                    if (isParameterSetter(method)) {
                        recorded.add(new Setter(method, args.clone()));
                        return null;
                    }
                    if (method.getName().equals("clearParameters")) {
                        recorded.clear();
                        return null;
                    }
                    throw new UnsupportedOperationException("only parameter setters may be called while a change is "
                            + "mapped (no I/O), not PreparedStatement." + method.getName());
                });
        binding.bind(recorder);
        return new StatementParameters(recorded);
    }

    /**
     * Sets the recorded parameters on a real statement, in the recorded order.
     *
     * @param ps the statement
     * @throws SQLException when the driver refuses a value
     */
    public void bindTo(PreparedStatement ps) throws SQLException {
        for (Setter s : setters) {
            try {
                s.method.invoke(ps, s.args);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                if (cause instanceof SQLException) {
                    throw (SQLException) cause;
                }
                if (cause instanceof RuntimeException) {
                    throw (RuntimeException) cause;
                }
                if (cause instanceof Error) {
                    throw (Error) cause;
                }
                throw new SQLException("binding parameter " + s.args[0] + " failed", cause);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("PreparedStatement." + s.method.getName() + " is not accessible", e);
            }
        }
    }

    /** @return how many parameter settings were recorded */
    public int size() {
        return setters.size();
    }

    @Override
    public String toString() {
        // values may hold personal data: say how many, never what
        return "StatementParameters{" + setters.size() + " settings}";
    }

    private static boolean isParameterSetter(Method m) {
        return m.getName().startsWith("set") && m.getParameterCount() >= 2 && m.getParameterTypes()[0] == int.class;
    }

    private static Object objectMethod(Object proxy, Method method, Object[] args) {
        switch (method.getName()) {
            case "equals":
                return proxy == args[0];
            case "hashCode":
                return System.identityHashCode(proxy);
            default:
                return "a statement recording parameters";
        }
    }

    private record Setter(Method method, Object[] args) {
    }
}
