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
package io.dualwrite.jdbc;

import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;

import java.sql.SQLException;
import java.sql.SQLNonTransientException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

import static io.dualwrite.ErrorKind.PERMANENT;
import static io.dualwrite.ErrorKind.TRANSIENT;
import static io.dualwrite.ErrorKind.UNKNOWN_OUTCOME;

/**
 * Classifies JDBC failures by their SQL state, through one table ({@link #rules()}) that gives every
 * SQL state class a kind and a reason: the classes of the SQL standard, of PostgreSQL's list of error
 * codes, and the ones MySQL, MariaDB and their drivers add. A rule for a whole state (five characters,
 * such as {@code 40003}) overrides the rule of its class (two characters, such as {@code 40}).
 *
 * <p>The kinds follow one question, "what would sending the same change again do?":
 * <ul>
 *   <li>{@link ErrorKind#PERMANENT}: the destination refuses this change, or this statement, and will
 *       refuse it the same way every time until someone changes the data or the schema (a value out of
 *       range, a broken constraint, an index row too large, a missing table). Dead-lettered at once; an
 *       operator replays it after the fix;</li>
 *   <li>{@link ErrorKind#TRANSIENT}: the statement took no effect, and the cause lies outside the
 *       change and passes (a conflict the server resolved by rolling back, a connection that could not
 *       be made, a server that is full, shutting down or read-only after a fail-over);</li>
 *   <li>{@link ErrorKind#UNKNOWN_OUTCOME}: the statement may have taken effect (the connection broke
 *       while it was in flight or during the commit), or nothing says what happened. Retried like a
 *       transient failure; the statement's own version guard makes the retry harmless.</li>
 * </ul>
 *
 * <p>The SQL state is the first one found along the cause chain and, for each SQL exception, its chain
 * of next exceptions (a batch reports the failing statement there). A failure whose state has no rule
 * (a class no standard or vendor listed here uses), or that carries no state, is classified by its JDBC
 * type: {@link SQLTransientException} (a pool that timed out waiting for a connection) is
 * {@link ErrorKind#TRANSIENT}, {@link SQLRecoverableException} (a connection to throw away, possibly
 * with a statement in flight) is {@link ErrorKind#UNKNOWN_OUTCOME}, {@link SQLNonTransientException}
 * is {@link ErrorKind#PERMANENT}; anything else goes to {@link ErrorClassifier#defaults()} (a
 * {@link io.dualwrite.spi.SinkException} keeps its kind, a timeout is {@link ErrorKind#UNKNOWN_OUTCOME},
 * an I/O error {@link ErrorKind#TRANSIENT}, a mapping failure {@link ErrorKind#PERMANENT}, the rest
 * {@link ErrorKind#UNKNOWN_OUTCOME}).
 *
 * <p>Thread-safe (stateless; the table is immutable).
 */
public final class JdbcErrorClassifier implements ErrorClassifier {
    private static final Pattern STATE_OR_CLASS = Pattern.compile("[0-9A-Z]{2}|[0-9A-Z]{5}");

    /** The table, in the order of the SQL state classes; each state rule follows its class rule. */
    private static final List<SqlStateRule> RULES = List.of(
            rule("00", UNKNOWN_OUTCOME, "successful completion: not a failure; a driver that throws it anyway "
                    + "does not say whether the statement ran"),
            rule("01", UNKNOWN_OUTCOME, "warning: not a failure; drivers throw it after the statement ran "
                    + "(pgjdbc's 0100E, a result where none was expected)"),
            rule("02", UNKNOWN_OUTCOME, "no data: not a failure; drivers throw it after the statement ran "
                    + "(pgjdbc's 02000, no result where one was expected)"),
            rule("03", UNKNOWN_OUTCOME, "SQL statement not yet complete: the statement was left unfinished "
                    + "and may have taken effect"),
            rule("07", PERMANENT, "dynamic SQL error: the driver cannot bind a mapped value (pgjdbc's 07006); "
                    + "the same value fails the same way"),
            rule("08", UNKNOWN_OUTCOME, "connection exception: the connection broke while the statement or its "
                    + "commit may have been on the way (08006 connection failure, 08P01 protocol violation, "
                    + "MySQL's 08S01 communication link failure)"),
            rule("08001", TRANSIENT, "unable to establish a connection: refused, unreachable or timed out "
                    + "before anything was sent"),
            rule("08003", TRANSIENT, "connection does not exist: the driver refused to use a closed connection "
                    + "before sending anything"),
            rule("08004", TRANSIENT, "the server rejected the connection (MySQL's too many connections) before "
                    + "anything was sent"),
            rule("08007", UNKNOWN_OUTCOME, "transaction resolution unknown: the connection was lost during the "
                    + "commit, which may have happened"),
            rule("09", PERMANENT, "triggered action exception: an action of a trigger on the table failed for "
                    + "this row"),
            rule("0A", PERMANENT, "feature not supported: the statement or a mapped type needs something the "
                    + "server does not have"),
            rule("0B", PERMANENT, "invalid transaction initiation: transaction settings at the wrong moment, a "
                    + "program error that repeats"),
            rule("0D", PERMANENT, "invalid target type specification (SQL standard): a program error that "
                    + "repeats"),
            rule("0E", PERMANENT, "invalid schema name list specification (SQL standard): a program error that "
                    + "repeats"),
            rule("0F", PERMANENT, "locator exception: an invalid large-object locator, a program error that "
                    + "repeats"),
            rule("0K", PERMANENT, "resignal when handler not active (SQL standard, MySQL): an error in a "
                    + "routine of the destination that repeats"),
            rule("0L", PERMANENT, "invalid grantor: a wrong privilege statement that repeats"),
            rule("0M", PERMANENT, "invalid SQL-invoked procedure reference (SQL standard): a program error "
                    + "that repeats"),
            rule("0N", PERMANENT, "SQL/XML mapping error (SQL standard): the value cannot be mapped, the same "
                    + "way every time"),
            rule("0P", PERMANENT, "invalid role specification: a role that does not exist or may not be used; "
                    + "an operator must fix it"),
            rule("0S", PERMANENT, "invalid transform group name specification (SQL standard): a program error "
                    + "that repeats"),
            rule("0T", PERMANENT, "target table disagrees with cursor specification (SQL standard): a program "
                    + "error that repeats"),
            rule("0U", PERMANENT, "attempt to assign to non-updatable column (SQL standard): the statement can "
                    + "never succeed"),
            rule("0V", PERMANENT, "attempt to assign to ordering column (SQL standard): the statement can never "
                    + "succeed"),
            rule("0W", PERMANENT, "prohibited statement encountered during trigger execution (SQL standard): a "
                    + "trigger of the table refuses every time"),
            rule("0X", PERMANENT, "invalid foreign server specification (SQL standard): a foreign table set up "
                    + "wrong; an operator must fix it"),
            rule("0Y", UNKNOWN_OUTCOME, "pass-through specific condition (SQL standard): a foreign server's own "
                    + "error, passed on without saying whether it repeats or what it wrote"),
            rule("0Z", PERMANENT, "diagnostics exception: GET DIAGNOSTICS misused in a routine of the "
                    + "destination, every time"),
            rule("10", PERMANENT, "XQuery error (SQL standard): the value or the query is wrong, the same way "
                    + "every time"),
            rule("20", PERMANENT, "case not found: a CASE in a routine of the destination has no branch for "
                    + "this row"),
            rule("21", PERMANENT, "cardinality violation: a statement met the wrong number of rows or values "
                    + "for this row (MySQL's 21S01 column count mismatch)"),
            rule("22", PERMANENT, "data exception: a value too long, out of range or malformed; the same value "
                    + "fails every time"),
            rule("23", PERMANENT, "integrity constraint violation: the row breaks a rule of the table; a rule "
                    + "across rows (a unique column, a foreign key) may pass once another entity's change has "
                    + "landed: replay the dead letter then"),
            rule("24", PERMANENT, "invalid cursor state: a program error that repeats"),
            rule("25", PERMANENT, "invalid transaction state: a statement in the wrong transaction state, a "
                    + "program error that repeats"),
            rule("25006", TRANSIENT, "read-only transaction: the connection reached a standby (after a "
                    + "fail-over) or a server set read-only; a later connection may reach the primary"),
            rule("25P02", TRANSIENT, "in failed transaction: an earlier error aborted the transaction; the next "
                    + "attempt runs in a new one and meets the real answer"),
            rule("25P03", TRANSIENT, "idle-in-transaction timeout: the server ended a transaction its client "
                    + "left idle (a pause) and rolled it back"),
            rule("25P04", TRANSIENT, "transaction timeout: the transaction ran out of time and was rolled back"),
            rule("26", TRANSIENT, "invalid SQL statement name: a server-side prepared statement vanished from "
                    + "the session (DISCARD ALL, a pooler); the next attempt prepares it again"),
            rule("27", PERMANENT, "triggered data change violation: a trigger changes the same row again, "
                    + "every time"),
            rule("28", TRANSIENT, "invalid authorization specification: the login was refused (a wrong or "
                    + "rotated password, pg_hba); nothing was sent, and credentials are fixed without the change"),
            rule("2B", PERMANENT, "dependent privilege descriptors or objects still exist: the schema refuses "
                    + "the statement until an operator changes it"),
            rule("2C", PERMANENT, "invalid character set name (SQL standard): a program error that repeats"),
            rule("2D", PERMANENT, "invalid transaction termination: a routine of the destination commits or "
                    + "rolls back where it may not, every time"),
            rule("2E", PERMANENT, "invalid connection name (SQL standard): a program error that repeats"),
            rule("2F", PERMANENT, "SQL routine exception: a function of the destination (a trigger, a default) "
                    + "broke its own rules for this row"),
            rule("2H", PERMANENT, "invalid collation name (SQL standard): the statement names a collation that "
                    + "does not exist"),
            rule("30", PERMANENT, "invalid SQL statement identifier (SQL standard): a program error that "
                    + "repeats"),
            rule("33", PERMANENT, "invalid SQL descriptor name (SQL standard): a program error that repeats"),
            rule("34", PERMANENT, "invalid cursor name: a program error that repeats"),
            rule("35", PERMANENT, "invalid condition number (SQL standard, MySQL): GET DIAGNOSTICS misused in a "
                    + "routine, every time"),
            rule("36", PERMANENT, "cursor sensitivity exception (SQL standard): a program error that repeats"),
            rule("38", PERMANENT, "external routine exception: a function in another language (PL/Python, "
                    + "PL/Perl) failed for this row"),
            rule("39", PERMANENT, "external routine invocation exception: a trigger or function broke the "
                    + "calling protocol, every time"),
            rule("3B", PERMANENT, "savepoint exception: a program error that repeats"),
            rule("3C", PERMANENT, "ambiguous cursor name (SQL standard): a program error that repeats"),
            rule("3D", PERMANENT, "invalid catalog name: the database does not exist; an operator must create "
                    + "it or fix the data source, then replay"),
            rule("3F", PERMANENT, "invalid schema name: the schema does not exist; an operator must create it, "
                    + "then replay"),
            rule("40", TRANSIENT, "transaction rollback: the server rolled the transaction back to resolve a "
                    + "conflict (40001 serialization failure, 40P01 deadlock); a retry succeeds"),
            rule("40002", PERMANENT, "transaction integrity constraint violation: a constraint checked at "
                    + "commit refused the row, every time"),
            rule("40003", UNKNOWN_OUTCOME, "statement completion unknown: the server cannot say whether the "
                    + "statement took effect"),
            rule("42", PERMANENT, "syntax error or access rule violation: a wrong statement, a missing table "
                    + "or column, a missing privilege (MySQL's 42Sxx too); nothing changes until an operator "
                    + "does"),
            rule("44", PERMANENT, "WITH CHECK OPTION violation: the view the sink writes through refuses this "
                    + "row"),
            rule("45", PERMANENT, "unhandled user-defined exception (SQL standard, MySQL's SIGNAL 45000): a "
                    + "trigger of the destination refuses this row"),
            rule("46", PERMANENT, "Java DDL (SQL standard, SQL/JRT): a routine set up wrong, every time"),
            rule("53", TRANSIENT, "insufficient resources: disk full, out of memory, too many connections; "
                    + "they pass when load falls or an operator adds room"),
            rule("54", PERMANENT, "program limit exceeded: a wired-in limit such as an index row too large, "
                    + "too many columns or a statement too complex; the same row exceeds it every time"),
            rule("55", PERMANENT, "object not in prerequisite state: an object of the destination must be "
                    + "changed first (a table without replica identity in a publication); an operator must act"),
            rule("55006", TRANSIENT, "object in use: another session holds the object (a concurrent ALTER or "
                    + "DROP) and releases it soon"),
            rule("55P03", TRANSIENT, "lock not available: a lock timeout or NOWAIT met another session's lock"),
            rule("57", TRANSIENT, "operator intervention: the server cancelled the statement, or refused or "
                    + "ended the session (57014 cancelled or timed out, 57P01 admin shutdown, 57P03 cannot connect "
                    + "now, 57P05 idle session timeout); the statement took no effect"),
            rule("57P02", UNKNOWN_OUTCOME, "crash shutdown: the server stopped every session at once after "
                    + "another process crashed, possibly after this statement committed"),
            rule("57P04", TRANSIENT, "database dropped: the session ended; the next attempt meets the real "
                    + "state (3D000 while the database is gone)"),
            rule("58", TRANSIENT, "system error: the operating system failed the server (58030 I/O error); the "
                    + "statement was rolled back and the fault may be repaired"),
            rule("60", UNKNOWN_OUTCOME, "pgjdbc's system error (60000): a failure inside the driver; nothing "
                    + "says whether the statement ran"),
            rule("70", TRANSIENT, "MySQL and MariaDB's 70100: the query or the connection was killed (KILL, "
                    + "max_statement_time) and the statement rolled back"),
            rule("72", TRANSIENT, "snapshot too old: a long transaction outlived old_snapshot_threshold; a "
                    + "retry takes a new snapshot"),
            rule("99", UNKNOWN_OUTCOME, "pgjdbc's unexpected error (99999): a driver bug or an unforeseen "
                    + "failure; nothing says whether the statement ran"),
            rule("F0", TRANSIENT, "configuration file error: the server's own configuration, not the change; "
                    + "an operator repairs it"),
            rule("HV", PERMANENT, "foreign data wrapper error: the foreign table the sink writes to is defined "
                    + "wrong (a column, an option, a remote table not found); an operator must fix it"),
            rule("HV000", UNKNOWN_OUTCOME, "foreign data wrapper error without detail: the foreign server "
                    + "failed without saying why, possibly after writing"),
            rule("HV001", TRANSIENT, "foreign data wrapper out of memory: passes when load falls"),
            rule("HV00N", TRANSIENT, "unable to establish a connection to the foreign server: nothing was "
                    + "sent"),
            rule("HV014", TRANSIENT, "foreign data wrapper has too many handles: passes when load falls"),
            rule("HW", PERMANENT, "datalink exception (SQL standard): a DATALINK value is wrong and stays "
                    + "wrong"),
            rule("HY", UNKNOWN_OUTCOME, "CLI-specific condition, and the general error HY000 of MySQL and "
                    + "MariaDB, which covers a lock wait timeout as well as an incorrect value: the state does "
                    + "not say whether it repeats"),
            rule("HZ", UNKNOWN_OUTCOME, "remote database access (ISO RDA): a remote server failed, possibly "
                    + "after writing"),
            rule("P0", PERMANENT, "PL/pgSQL error: a trigger or function of the destination raised an "
                    + "exception for this row (RAISE, ASSERT, STRICT)"),
            rule("S1", UNKNOWN_OUTCOME, "X/Open's name for class HY, still used by MySQL Connector/J (S1000, "
                    + "S1009): as HY"),
            rule("XA", UNKNOWN_OUTCOME, "XA transaction error (MySQL, MariaDB): the sink uses no XA; the fate "
                    + "of a branch belongs to its transaction manager"),
            rule("XX", UNKNOWN_OUTCOME, "internal error: a server bug or an unforeseen condition; nothing says "
                    + "whether it repeats"),
            rule("XX001", PERMANENT, "data corrupted: the table's storage is damaged; an operator must repair "
                    + "it, then replay"),
            rule("XX002", PERMANENT, "index corrupted: an index of the table is damaged; an operator must "
                    + "REINDEX, then replay"));

    private static final Map<String, SqlStateRule> BY_STATE = index(RULES);
    private static final JdbcErrorClassifier INSTANCE = new JdbcErrorClassifier();

    private JdbcErrorClassifier() {
    }

    /** @return the classifier */
    public static JdbcErrorClassifier instance() {
        return INSTANCE;
    }

    /**
     * @return every rule of the table, classes and the states that override them, in the order of the
     *         SQL state classes; immutable
     */
    public static List<SqlStateRule> rules() {
        return RULES;
    }

    /**
     * @param sqlState a SQL state (case does not matter), not null
     * @return the rule of the state itself, else the rule of its class (its first two characters); empty
     *         when the table has neither
     */
    public static Optional<SqlStateRule> ruleFor(String sqlState) {
        Objects.requireNonNull(sqlState, "sqlState");
        String state = sqlState.strip().toUpperCase(Locale.ROOT);
        SqlStateRule exact = state.length() == 5 ? BY_STATE.get(state) : null;
        if (exact != null) {
            return Optional.of(exact);
        }
        return state.length() >= 2 ? Optional.ofNullable(BY_STATE.get(state.substring(0, 2))) : Optional.empty();
    }

    /**
     * Classifies a failure by the table, then by its JDBC type, then by {@link ErrorClassifier#defaults()}
     * (see the class comment). Never throws.
     */
    @Override
    public ErrorKind classify(Throwable error) {
        Optional<SqlStateRule> rule = sqlState(error).flatMap(JdbcErrorClassifier::ruleFor);
        if (rule.isPresent()) {
            return rule.get().kind();
        }
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLTransientException) {
                return TRANSIENT;
            }
            if (t instanceof SQLRecoverableException) {
                return UNKNOWN_OUTCOME;
            }
            if (t instanceof SQLNonTransientException) {
                return PERMANENT;
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

    private static SqlStateRule rule(String state, ErrorKind kind, String reason) {
        return new SqlStateRule(state, kind, reason);
    }

    private static Map<String, SqlStateRule> index(List<SqlStateRule> rules) {
        Map<String, SqlStateRule> byState = new LinkedHashMap<>();
        for (SqlStateRule r : rules) {
            if (byState.put(r.state(), r) != null) {
                throw new IllegalStateException("SQL state " + r.state() + " has two rules");
            }
            if (!r.isClass() && !byState.containsKey(r.sqlClass())) {
                throw new IllegalStateException("SQL state " + r.state() + " comes before a rule of its class");
            }
        }
        return Map.copyOf(byState);
    }

    /**
     * One row of the table: how the failures of one SQL state class, or of one SQL state within its
     * class, are classified, and why. Immutable.
     *
     * @param state  a class (two characters, such as {@code "54"}) or a whole SQL state (five, such as
     *               {@code "57P02"}), digits and upper-case letters
     * @param kind   how such a failure is treated
     * @param reason why, in one line (what the state means and what a retry would do)
     */
    public record SqlStateRule(String state, ErrorKind kind, String reason) {
        /**
         * @param state the {@code state} component
         * @param kind the {@code kind} component
         * @param reason the {@code reason} component
         * @throws NullPointerException     if an argument is null
         * @throws IllegalArgumentException if the state is not two or five digits and upper-case letters,
         *                                  or the reason is blank, spans lines or holds a {@code |}
         */
        public SqlStateRule {
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(reason, "reason");
            if (!STATE_OR_CLASS.matcher(state).matches()) {
                throw new IllegalArgumentException("a SQL state class has 2 characters and a state 5, digits and "
                        + "upper-case letters: '" + state + "'");
            }
            if (reason.isBlank() || reason.contains("|") || reason.lines().count() != 1) {
                throw new IllegalArgumentException("the reason for " + state + " must be one line without '|'");
            }
        }

        /** @return true when the rule covers a whole class, false when it names one state */
        public boolean isClass() {
            return state.length() == 2;
        }

        /** @return the class the rule belongs to (its first two characters) */
        public String sqlClass() {
            return state.substring(0, 2);
        }
    }
}
