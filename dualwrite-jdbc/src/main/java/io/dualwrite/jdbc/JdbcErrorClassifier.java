package io.dualwrite.jdbc;

import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;

import java.sql.SQLException;
import java.sql.SQLNonTransientException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.Optional;
import java.util.Set;

/**
 * Classifies JDBC failures by their SQL state (the first one found along the cause chain and the
 * chain of next exceptions of a batch), as PostgreSQL reports them:
 * <ul>
 *   <li>{@link ErrorKind#TRANSIENT}: class 08 (connection exceptions), class 40 (transaction
 *       rollback: 40001 serialization failure, 40P01 deadlock), class 53 (insufficient resources,
 *       too many connections), 55P03 (lock not available), 55006 (object in use), 57014 (statement
 *       cancelled or timed out: rolled back), 57P01/57P02/57P03 (the server is shutting down or
 *       starting), 25006 (read-only transaction, as on a standby after a fail-over), 58000/58030
 *       (system and I/O errors);</li>
 *   <li>{@link ErrorKind#PERMANENT}: class 22 (data exceptions: a value too long, out of range,
 *       malformed), class 23 (integrity constraint violations), class 42 (syntax errors, a missing
 *       table or column), class 0A (feature not supported), class 44 (check option);</li>
 *   <li>without a known state: {@link SQLTransientException} and {@link SQLRecoverableException}
 *       (a pool that timed out waiting for a connection) TRANSIENT, {@link SQLNonTransientException}
 *       PERMANENT, anything else {@link ErrorClassifier#defaults()}.</li>
 * </ul>
 * A connection lost while a statement was in flight (class 08) may or may not have committed it;
 * it is retried like a transient failure, which the statement's version guard makes harmless.
 * Thread-safe (stateless).
 */
public final class JdbcErrorClassifier implements ErrorClassifier {
    /** SQL state classes (first two characters) that are transient. */
    public static final Set<String> TRANSIENT_CLASSES = Set.of("08", "40", "53");
    /** Single SQL states that are transient. */
    public static final Set<String> TRANSIENT_STATES =
            Set.of("55P03", "55006", "57014", "57P01", "57P02", "57P03", "25006", "58000", "58030");
    /** SQL state classes that are permanent. */
    public static final Set<String> PERMANENT_CLASSES = Set.of("22", "23", "42", "0A", "44");

    private static final JdbcErrorClassifier INSTANCE = new JdbcErrorClassifier();

    private JdbcErrorClassifier() {
    }

    /** @return the classifier */
    public static JdbcErrorClassifier instance() {
        return INSTANCE;
    }

    @Override
    public ErrorKind classify(Throwable error) {
        Optional<String> state = sqlState(error);
        if (state.isPresent()) {
            String s = state.get();
            String cls = s.length() >= 2 ? s.substring(0, 2) : s;
            if (TRANSIENT_STATES.contains(s) || TRANSIENT_CLASSES.contains(cls)) {
                return ErrorKind.TRANSIENT;
            }
            if (PERMANENT_CLASSES.contains(cls)) {
                return ErrorKind.PERMANENT;
            }
        }
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientException || t instanceof SQLRecoverableException) {
                return ErrorKind.TRANSIENT;
            }
            if (t instanceof SQLNonTransientException) {
                return ErrorKind.PERMANENT;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return ErrorClassifier.defaults().classify(error);
    }

    /**
     * @param error a failure
     * @return the SQL state of a {@link JdbcSinkException}, or the first one along the causes and, for
     *         each SQL exception, its next exceptions
     */
    public static Optional<String> sqlState(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof JdbcSinkException && ((JdbcSinkException) t).sqlState().isPresent()) {
                return ((JdbcSinkException) t).sqlState();
            }
            if (t instanceof SQLException) {
                for (SQLException s = (SQLException) t; s != null; s = s.getNextException()) {
                    if (s.getSQLState() != null && !s.getSQLState().isBlank()) {
                        return Optional.of(s.getSQLState());
                    }
                }
            }
        }
        return Optional.empty();
    }
}
