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

import io.dualwrite.ErrorKind;
import io.dualwrite.jdbc.JdbcErrorClassifier.SqlStateRule;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLNonTransientException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import static io.dualwrite.ErrorKind.PERMANENT;
import static io.dualwrite.ErrorKind.TRANSIENT;
import static io.dualwrite.ErrorKind.UNKNOWN_OUTCOME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SQL state table of {@link JdbcErrorClassifier}, and its copy in the docs. Needs no server. */
class JdbcErrorClassifierTest {
    /**
     * Every SQL state class: PostgreSQL's list of error codes (Appendix A), the SQL standard's other
     * classes, and those MySQL, MariaDB and the drivers (pgjdbc, Connector/J) add.
     */
    private static final List<String> CLASSES = List.of(
            // PostgreSQL
            "00", "01", "02", "03", "08", "09", "0A", "0B", "0F", "0L", "0P", "0Z", "20", "21", "22", "23", "24",
            "25", "26", "27", "28", "2B", "2D", "2F", "34", "38", "39", "3B", "3D", "3F", "40", "42", "44", "53",
            "54", "55", "57", "58", "72", "F0", "HV", "P0", "XX",
            // the SQL standard's others
            "07", "0D", "0E", "0K", "0M", "0N", "0S", "0T", "0U", "0V", "0W", "0X", "0Y", "10", "2C", "2E", "2H",
            "30", "33", "35", "36", "3C", "45", "46", "HW", "HY", "HZ",
            // MySQL, MariaDB and the drivers
            "60", "70", "99", "S1", "XA");

    /** A sample of states per class with the kind each must get, and what it is. */
    private static final String SAMPLES = """
            00000 UNKNOWN_OUTCOME successful completion
            01000 UNKNOWN_OUTCOME warning
            0100E UNKNOWN_OUTCOME pgjdbc: a result where none was expected
            02000 UNKNOWN_OUTCOME no data
            03000 UNKNOWN_OUTCOME statement not yet complete
            07006 PERMANENT pgjdbc: a value it cannot bind
            08000 UNKNOWN_OUTCOME connection exception
            08001 TRANSIENT unable to establish a connection
            08003 TRANSIENT connection does not exist
            08004 TRANSIENT connection rejected
            08006 UNKNOWN_OUTCOME connection failure
            08007 UNKNOWN_OUTCOME transaction resolution unknown
            08P01 UNKNOWN_OUTCOME protocol violation
            08S01 UNKNOWN_OUTCOME MySQL: communication link failure
            09000 PERMANENT triggered action exception
            0A000 PERMANENT feature not supported
            0B000 PERMANENT invalid transaction initiation
            0D000 PERMANENT invalid target type specification
            0E000 PERMANENT invalid schema name list specification
            0F001 PERMANENT invalid locator specification
            0K000 PERMANENT MySQL: resignal when handler not active
            0LP01 PERMANENT invalid grant operation
            0M000 PERMANENT invalid SQL-invoked procedure reference
            0N000 PERMANENT SQL/XML mapping error
            0P000 PERMANENT invalid role specification
            0S000 PERMANENT invalid transform group name specification
            0T000 PERMANENT target table disagrees with cursor specification
            0U000 PERMANENT attempt to assign to non-updatable column
            0V000 PERMANENT attempt to assign to ordering column
            0W000 PERMANENT prohibited statement encountered during trigger execution
            0X000 PERMANENT invalid foreign server specification
            0Y000 UNKNOWN_OUTCOME pass-through specific condition
            0Z002 PERMANENT stacked diagnostics accessed without active handler
            10000 PERMANENT XQuery error
            20000 PERMANENT case not found
            21000 PERMANENT cardinality violation
            21S01 PERMANENT MySQL: column count does not match
            22000 PERMANENT data exception
            22001 PERMANENT string data right truncation
            22003 PERMANENT numeric value out of range
            22P02 PERMANENT invalid text representation
            2200H PERMANENT sequence generator limit exceeded
            23000 PERMANENT integrity constraint violation
            23502 PERMANENT not null violation
            23503 PERMANENT foreign key violation
            23505 PERMANENT unique violation
            23514 PERMANENT check violation
            23P01 PERMANENT exclusion violation
            24000 PERMANENT invalid cursor state
            25000 PERMANENT invalid transaction state
            25001 PERMANENT active SQL transaction
            25P01 PERMANENT no active SQL transaction
            25006 TRANSIENT read-only SQL transaction
            25P02 TRANSIENT in failed SQL transaction
            25P03 TRANSIENT idle in transaction session timeout
            25P04 TRANSIENT transaction timeout
            26000 TRANSIENT invalid SQL statement name
            27000 PERMANENT triggered data change violation
            28000 TRANSIENT invalid authorization specification
            28P01 TRANSIENT invalid password
            2B000 PERMANENT dependent privilege descriptors still exist
            2BP01 PERMANENT dependent objects still exist
            2C000 PERMANENT invalid character set name
            2D000 PERMANENT invalid transaction termination
            2E000 PERMANENT invalid connection name
            2F005 PERMANENT function executed no return statement
            2H000 PERMANENT invalid collation name
            30000 PERMANENT invalid SQL statement identifier
            33000 PERMANENT invalid SQL descriptor name
            34000 PERMANENT invalid cursor name
            35000 PERMANENT MySQL: invalid condition number
            36000 PERMANENT cursor sensitivity exception
            38001 PERMANENT containing SQL not permitted
            39P01 PERMANENT trigger protocol violated
            3B001 PERMANENT invalid savepoint specification
            3C000 PERMANENT ambiguous cursor name
            3D000 PERMANENT invalid catalog name
            3F000 PERMANENT invalid schema name
            40000 TRANSIENT transaction rollback
            40001 TRANSIENT serialization failure
            40P01 TRANSIENT deadlock detected
            40002 PERMANENT transaction integrity constraint violation
            40003 UNKNOWN_OUTCOME statement completion unknown
            42000 PERMANENT syntax error or access rule violation
            42601 PERMANENT syntax error
            42501 PERMANENT insufficient privilege
            42P01 PERMANENT undefined table
            42703 PERMANENT undefined column
            42S02 PERMANENT MySQL: base table not found
            44000 PERMANENT with check option violation
            45000 PERMANENT MySQL: SIGNAL of a user-defined exception
            46000 PERMANENT Java DDL
            53000 TRANSIENT insufficient resources
            53100 TRANSIENT disk full
            53200 TRANSIENT out of memory
            53300 TRANSIENT too many connections
            53400 TRANSIENT configuration limit exceeded
            54000 PERMANENT program limit exceeded: index row size exceeds the maximum
            54001 PERMANENT statement too complex
            54011 PERMANENT too many columns
            54023 PERMANENT too many arguments
            55000 PERMANENT object not in prerequisite state
            55P02 PERMANENT cannot change runtime parameter
            55006 TRANSIENT object in use
            55P03 TRANSIENT lock not available
            57000 TRANSIENT operator intervention
            57014 TRANSIENT query cancelled
            57P01 TRANSIENT admin shutdown
            57P02 UNKNOWN_OUTCOME crash shutdown
            57P03 TRANSIENT cannot connect now
            57P04 TRANSIENT database dropped
            57P05 TRANSIENT idle session timeout
            58000 TRANSIENT system error
            58030 TRANSIENT I/O error
            58P01 TRANSIENT undefined file
            60000 UNKNOWN_OUTCOME pgjdbc: system error
            70100 TRANSIENT MySQL, MariaDB: query interrupted
            72000 TRANSIENT snapshot too old
            99999 UNKNOWN_OUTCOME pgjdbc: unexpected error
            F0000 TRANSIENT configuration file error
            F0001 TRANSIENT lock file exists
            HV000 UNKNOWN_OUTCOME foreign data wrapper error
            HV001 TRANSIENT fdw out of memory
            HV00N TRANSIENT fdw unable to establish connection
            HV014 TRANSIENT fdw too many handles
            HV00R PERMANENT fdw table not found
            HV00D PERMANENT fdw invalid option name
            HW000 PERMANENT datalink exception
            HY000 UNKNOWN_OUTCOME MySQL: general error
            HZ000 UNKNOWN_OUTCOME remote database access
            P0000 PERMANENT PL/pgSQL error
            P0001 PERMANENT raise exception
            P0002 PERMANENT no data found
            P0004 PERMANENT assert failure
            S1009 UNKNOWN_OUTCOME Connector/J: illegal argument
            XAE07 UNKNOWN_OUTCOME MySQL: XAER_RMFAIL
            XX000 UNKNOWN_OUTCOME internal error
            XX001 PERMANENT data corrupted
            XX002 PERMANENT index corrupted
            """;

    /** The header of the table in the docs; a class's row reads {@code 54xxx}, a state's {@code 57P02}. */
    private static final String TABLE_HEADER = "| SQL state | kind | why |";

    private static ErrorKind classify(Throwable error) {
        return JdbcErrorClassifier.instance().classify(error);
    }

    private static SQLException withState(String state) {
        return new SQLException("refused", state);
    }

    @Test
    void everySqlStateClassHasARuleWithAReason() {
        List<String> missing = CLASSES.stream().filter(c -> JdbcErrorClassifier.ruleFor(c + "000").isEmpty()).toList();
        assertEquals(List.of(), missing, "classes without a rule");
        List<String> inTable = JdbcErrorClassifier.rules().stream().filter(SqlStateRule::isClass)
                .map(SqlStateRule::state).toList();
        assertEquals(CLASSES.stream().sorted().toList(), inTable.stream().sorted().toList(),
                "the table lists exactly these classes");
        assertTrue(JdbcErrorClassifier.rules().stream().allMatch(r -> r.reason().length() > 20),
                "every rule says why");
    }

    @Test
    void eachSampleStateGetsItsKind() {
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (String line : SAMPLES.lines().toList()) {
            String[] parts = line.split(" ", 3);
            ErrorKind expected = ErrorKind.valueOf(parts[1]);
            ErrorKind actual = classify(withState(parts[0]));
            if (actual != expected) {
                wrong.add(parts[0] + " (" + parts[2] + "): expected " + expected + ", was " + actual);
            }
            checked++;
        }
        assertEquals(List.of(), wrong, "states classified against the table");
        List<String> sampled = SAMPLES.lines().map(l -> l.substring(0, 2)).distinct().sorted().toList();
        assertEquals(CLASSES.stream().sorted().toList(), sampled, "every class is sampled (" + checked + " states)");
    }

    @Test
    void aStateRuleOverridesItsClassAndOtherStatesTakeTheClassRule() {
        assertEquals("40", JdbcErrorClassifier.ruleFor("40P01").orElseThrow().state(), "no rule of its own: the class");
        assertEquals("40003", JdbcErrorClassifier.ruleFor("40003").orElseThrow().state(), "a rule of its own");
        assertEquals("54", JdbcErrorClassifier.ruleFor("54999").orElseThrow().state(), "a state no list has yet");
        assertEquals(UNKNOWN_OUTCOME, JdbcErrorClassifier.ruleFor("57p02").orElseThrow().kind(), "case does not matter");
        assertTrue(JdbcErrorClassifier.ruleFor("ZZ000").isEmpty(), "a class nobody lists has no rule");
        assertTrue(JdbcErrorClassifier.ruleFor("5").isEmpty(), "too short to name a class");
        for (SqlStateRule r : JdbcErrorClassifier.rules()) {
            if (!r.isClass()) {
                assertTrue(JdbcErrorClassifier.rules().stream().anyMatch(c -> c.state().equals(r.sqlClass())),
                        r.state() + " overrides a class of the table");
            }
        }
    }

    @Test
    void theStateDecidesBeforeTheJdbcType() {
        // a pool reports the last connection failure's state on its own timeout exception
        assertEquals(PERMANENT, classify(new SQLTransientConnectionException("no database", "3D000")),
                "the database does not exist, whatever the exception type says");
        assertEquals(TRANSIENT, classify(new SQLTransientConnectionException("login refused", "28P01")),
                "a refused login");
        assertEquals(UNKNOWN_OUTCOME, classify(new SQLNonTransientException("link failure", "08S01")),
                "a broken link, whatever the exception type says");
    }

    @Test
    void anUnlistedClassOrNoStateFallsToTheJdbcTypeThenTheDefaults() {
        assertEquals(TRANSIENT, classify(new SQLTransientConnectionException("pool timed out", "ZZ123")));
        assertEquals(UNKNOWN_OUTCOME, classify(new SQLRecoverableException("connection reset")),
                "a connection to throw away may have carried the statement");
        assertEquals(PERMANENT, classify(new SQLNonTransientException("refused")));
        assertEquals(UNKNOWN_OUTCOME, classify(new SQLException("vendor failure", "ZZ123")),
                "an unlisted class of a plain SQL exception says nothing: UNKNOWN_OUTCOME");
        assertEquals(UNKNOWN_OUTCOME, classify(new SQLException("no state")));
        assertEquals(UNKNOWN_OUTCOME, classify(new TimeoutException("no reply")), "a timeout may have landed");
        assertEquals(TRANSIENT, classify(new IOException("reset")), "an I/O failure");
        assertEquals(PERMANENT, classify(new IllegalArgumentException("another entity type")), "a wrong argument");
        assertEquals(UNKNOWN_OUTCOME, classify(new IllegalStateException("surprise")), "anything else");
        assertEquals(TRANSIENT, classify(new JdbcSinkException("already classified", TRANSIENT, null, "t")),
                "a sink failure without a state keeps its kind");
    }

    @Test
    void theStateIsFoundAlongCausesAndTheNextExceptionsOfABatch() {
        BatchUpdateException batch = new BatchUpdateException("the batch was refused", null, 0, new int[0], null);
        batch.setNextException(withState("54000"));
        assertEquals("54000", JdbcErrorClassifier.sqlState(batch).orElseThrow());
        assertEquals(PERMANENT, classify(new ExecutionException(new RuntimeException(batch))),
                "the statement's state, two causes down");
        assertEquals(PERMANENT, classify(new JdbcSinkException("refused", UNKNOWN_OUTCOME, "54000", "t")),
                "a sink failure is classified by its state");
    }

    @Test
    void aRuleIsOneClassOrStateWithAOneLineReason() {
        assertThrows(IllegalArgumentException.class, () -> new SqlStateRule("540", PERMANENT, "three characters"));
        assertThrows(IllegalArgumentException.class, () -> new SqlStateRule("5400a", PERMANENT, "lower case"));
        assertThrows(IllegalArgumentException.class, () -> new SqlStateRule("54", PERMANENT, "a | in a table cell"));
        assertThrows(IllegalArgumentException.class, () -> new SqlStateRule("54", PERMANENT, "two\nlines"));
        assertThrows(NullPointerException.class, () -> new SqlStateRule("54", null, "no kind"));
        assertFalse(new SqlStateRule("54000", PERMANENT, "one state").isClass());
        assertThrows(UnsupportedOperationException.class, () -> JdbcErrorClassifier.rules().clear(), "immutable");
    }

    @Test
    void theTableInTheDocsIsTheTableInTheCode() throws IOException {
        Path root = Paths.get(System.getProperty("dualwrite.repo.root", "..")).toAbsolutePath().normalize();
        Path doc = root.resolve("docs/sinks-redis-jdbc-http.md");
        List<String> lines = Files.readAllLines(doc, StandardCharsets.UTF_8);
        int heading = lines.indexOf("### SQL states");
        assertTrue(heading >= 0, doc + " has a section '### SQL states'");
        int header = lines.subList(heading, lines.size()).indexOf(TABLE_HEADER);
        assertTrue(header >= 0, "the section has a table whose header is " + TABLE_HEADER);
        List<String> rows = new ArrayList<>();
        for (int i = heading + header + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            rows.add(lines.get(i));
        }
        List<String> expected = JdbcErrorClassifier.rules().stream().map(JdbcErrorClassifierTest::row).toList();
        assertEquals(expected, rows, "the table in " + root.relativize(doc) + " must be, row for row:\n"
                + TABLE_HEADER + "\n| --- | --- | --- |\n" + String.join("\n", expected) + "\n");
    }

    private static String row(SqlStateRule r) {
        return "| `" + r.state() + (r.isClass() ? "xxx" : "") + "` | " + r.kind() + " | " + r.reason() + " |";
    }
}
