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
package io.dualwrite.cli.internal;

import com.mongodb.MongoException;
import com.mongodb.MongoTimeoutException;
import io.dualwrite.cli.DualWriteCli;
import io.dualwrite.mongo.MongoDeadLetterStore;
import io.dualwrite.mongo.operations.OperationRejectedException;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.io.InputStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code dualwrite} command: the connection options every command inherits, and the subcommands. */
@Command(name = "dualwrite", mixinStandardHelpOptions = true, versionProvider = Root.Version.class,
        description = "Operate dualwrite from the command line: the backlog of pending deliveries, the leases of"
                + " recovery workers, the dead letters, and reconciliations run by the application on request. Needs"
                + " only the MongoDB connection.",
        subcommands = {StatusCommand.class, DeadLettersCommand.class, ReconcileCommand.class,
                AutoComplete.GenerateCompletion.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:done",
                "1:the act failed, or was not confirmed",
                "2:bad input (unknown command, option, entity type or kind; malformed id, range or time); nothing"
                        + " changed",
                "3:MongoDB could not be reached; nothing changed",
                "4:a named dead letter, entity or request does not exist; nothing changed",
                "5:a replay followed with --wait failed again or was not delivered in time; a watched"
                        + " reconciliation did not end in time"},
        footerHeading = "%nEnvironment:%n",
        footer = {"  " + DualWriteCli.URI_VARIABLE + "   the MongoDB connection string when --mongo-uri is absent",
                "  " + DualWriteCli.ENTITIES_VARIABLE + "    TYPE=COLLECTION,... when --entity is absent"})
public final class Root {
    /** How long the tool waits for a MongoDB server before it gives up, by default. */
    static final String DEFAULT_SERVER_TIMEOUT = "5s";

    @Option(names = "--mongo-uri", scope = ScopeType.INHERIT, paramLabel = "URI",
            defaultValue = "${env:" + DualWriteCli.URI_VARIABLE + "}",
            description = "MongoDB connection string, with the database (mongodb://host:27017/shop); default $"
                    + DualWriteCli.URI_VARIABLE)
    String mongoUri;

    @Option(names = "--database", scope = ScopeType.INHERIT, paramLabel = "NAME",
            description = "the database, when the connection string names none")
    String database;

    @Option(names = "--entity", scope = ScopeType.INHERIT, paramLabel = "TYPE=COLLECTION", split = ",",
            defaultValue = "${env:" + DualWriteCli.ENTITIES_VARIABLE + "}",
            description = "the collection of an entity type whose collection has another name (repeatable); default"
                    + " $" + DualWriteCli.ENTITIES_VARIABLE + ", else each managed collection is its own type")
    Map<String, String> entities = new LinkedHashMap<>();

    @Option(names = "--dead-letter-collection", scope = ScopeType.INHERIT, paramLabel = "NAME",
            defaultValue = MongoDeadLetterStore.DEFAULT_COLLECTION,
            description = "the dead letters' collection; default ${DEFAULT-VALUE}")
    String deadLetterCollection;

    @Option(names = "--server-timeout", scope = ScopeType.INHERIT, paramLabel = "DURATION",
            defaultValue = DEFAULT_SERVER_TIMEOUT, converter = Times.DurationConverter.class,
            description = "how long to wait for a MongoDB server (500ms, 5s, 1m); default ${DEFAULT-VALUE}")
    Duration serverTimeout;

    @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, paramLabel = "FORMAT", defaultValue = "table",
            description = "table or json; default ${DEFAULT-VALUE}")
    Render.Format output;

    InputStream in;

    /** @return the primary this invocation names; the caller closes it */
    Primary openPrimary() {
        return Primary.open(mongoUri, database, entities == null ? Map.of() : entities, deadLetterCollection,
                serverTimeout);
    }

    /**
     * @param in where confirmations are read from
     * @return the command line, with this tool's exit codes
     */
    public static CommandLine commandLine(InputStream in) {
        Root root = new Root();
        root.in = in;
        CommandLine cl = new CommandLine(root);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExitCodeExceptionMapper(Root::exitCodeOf);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            int code = exitCodeOf(e);
            line.getErr().println(line.getColorScheme().errorText("dualwrite: " + messageOf(e)));
            line.getErr().flush();
            return code;
        });
        return cl;
    }

    static int exitCodeOf(Throwable e) {
        if (e instanceof CliException c) {
            return c.exitCode();
        }
        if (e instanceof OperationRejectedException r) {
            return r.rejection() == OperationRejectedException.Rejection.NOT_FOUND ? DualWriteCli.EXIT_NOT_FOUND
                    : DualWriteCli.EXIT_BAD_INPUT;
        }
        if (e instanceof CommandLine.ParameterException) {
            return DualWriteCli.EXIT_BAD_INPUT;
        }
        if (e instanceof MongoTimeoutException || e instanceof com.mongodb.MongoSocketException) {
            return DualWriteCli.EXIT_UNREACHABLE;
        }
        return DualWriteCli.EXIT_FAILED;
    }

    private static String messageOf(Throwable e) {
        if (e instanceof CliException || e instanceof OperationRejectedException) {
            return e.getMessage();
        }
        if (e instanceof MongoTimeoutException || e instanceof com.mongodb.MongoSocketException) {
            return "MongoDB could not be reached: " + e.getMessage();
        }
        if (e instanceof MongoException) {
            return "MongoDB failed: " + e.getMessage();
        }
        return e.toString();
    }

    /** The version the jar was built as. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Root.class.getPackage().getImplementationVersion();
            return new String[] {"dualwrite " + (v == null ? "(development build)" : v)};
        }
    }
}
