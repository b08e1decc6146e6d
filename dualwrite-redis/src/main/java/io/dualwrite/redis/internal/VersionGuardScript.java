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
package io.dualwrite.redis.internal;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * The server-side version guard: one Lua script that compares the stored version with the
 * change's and, only when the change is newer, replaces the entry (or leaves a tombstone) and
 * sets its expiry. Run with EVALSHA; when the server does not know the script (a restart, a
 * {@code SCRIPT FLUSH}, a fail-over) it is sent once with EVAL, which caches it again.
 * Thread-safe (stateless apart from the constant script).
 */
public final class VersionGuardScript {
    /** Hash field holding the version, as a decimal string. */
    public static final String FIELD_VERSION = "version";
    /** Hash field holding the state, as JSON (absent in a tombstone). */
    public static final String FIELD_STATE = "state";
    /** Hash field present, with value {@code 1}, only in a tombstone. */
    public static final String FIELD_DELETED = "deleted";

    /*
     * KEYS[1] the entity's key; ARGV[1] the version (decimal, no leading zeros); ARGV[2] U or D;
     * ARGV[3] the JSON state (empty for D); ARGV[4] the expiry in milliseconds, 0 for none.
     * Versions are compared as decimal strings (length first), so no precision is lost to Lua's
     * doubles. Returns 1 when applied, 0 when the stored version is the same or newer.
     */
    static final String SOURCE = String.join("\n",
            "local cur = redis.call('HGET', KEYS[1], '" + FIELD_VERSION + "')",
            "local v = ARGV[1]",
            "if cur and (#cur > #v or (#cur == #v and cur >= v)) then return 0 end",
            "redis.call('DEL', KEYS[1])",
            "if ARGV[2] == 'D' then",
            "  redis.call('HSET', KEYS[1], '" + FIELD_VERSION + "', v, '" + FIELD_DELETED + "', '1')",
            "else",
            "  redis.call('HSET', KEYS[1], '" + FIELD_VERSION + "', v, '" + FIELD_STATE + "', ARGV[3])",
            "end",
            "local ttl = tonumber(ARGV[4])",
            "if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end",
            "return 1");

    private static final Logger LOG = LoggerFactory.getLogger(VersionGuardScript.class);
    private static final String SHA = sha1(SOURCE);

    private VersionGuardScript() {
    }

    /** @return the script's SHA-1, as EVALSHA and SCRIPT EXISTS take it */
    public static String sha() {
        return SHA;
    }

    /**
     * Runs the guard, with EVAL when the server does not know the script.
     *
     * @param commands the connection's commands
     * @param call     the key and arguments of one change
     * @return true when the change was applied, false when the stored version was the same or newer
     */
    public static boolean run(RedisCommands<String, String> commands, Call call) {
        String[] keys = {call.key()};
        String[] args = call.args().toArray(new String[0]);
        Long applied;
        try {
            applied = commands.evalsha(SHA, ScriptOutputType.INTEGER, keys, args);
        } catch (RedisNoScriptException e) {
            LOG.debug("version guard script not cached on the server; sending it with EVAL (key {})", call.key());
            applied = commands.eval(SOURCE, ScriptOutputType.INTEGER, keys, args);
        }
        return applied(applied);
    }

    /**
     * Sends the guard with EVALSHA only, for a pipeline; a reply of {@link RedisNoScriptException}
     * asks for {@link #run} instead.
     *
     * @param commands the connection's asynchronous commands
     * @param call     the key and arguments of one change
     * @return the pending reply: 1 when applied, 0 when the stored version was the same or newer
     */
    public static RedisFuture<Long> send(RedisAsyncCommands<String, String> commands, Call call) {
        return commands.evalsha(SHA, ScriptOutputType.INTEGER, new String[] {call.key()},
                call.args().toArray(new String[0]));
    }

    /**
     * Sends the guard with its source (EVAL), for a pipeline of changes whose EVALSHA the server
     * answered with {@link RedisNoScriptException}.
     *
     * @param commands the connection's asynchronous commands
     * @param call     the key and arguments of one change
     * @return the pending reply: 1 when applied, 0 when the stored version was the same or newer
     */
    public static RedisFuture<Long> sendWithSource(RedisAsyncCommands<String, String> commands, Call call) {
        return commands.eval(SOURCE, ScriptOutputType.INTEGER, new String[] {call.key()},
                call.args().toArray(new String[0]));
    }

    /**
     * @param reply the script's reply
     * @return true when it says the change was applied
     */
    public static boolean applied(Long reply) {
        return reply != null && reply == 1L;
    }

    /**
     * One change as the guard takes it: the entity's key and the script's arguments. Made without
     * I/O. Immutable.
     *
     * @param key  the entity's key
     * @param args the version, {@code U} or {@code D}, the JSON state (empty for a delete) and the
     *             expiry in milliseconds
     */
    public record Call(String key, List<String> args) {
        /**
         * @throws NullPointerException if an argument is null
         */
        public Call {
            Objects.requireNonNull(key, "key");
            args = List.copyOf(args);
        }

        /**
         * @param key       the entity's key
         * @param version   the change's version
         * @param delete    true to leave a tombstone
         * @param stateJson the JSON state, ignored for a delete
         * @param ttlMillis the expiry of the written entry in milliseconds, 0 for none
         * @return the call
         */
        public static Call of(String key, long version, boolean delete, String stateJson, long ttlMillis) {
            return new Call(key, List.of(Long.toString(version), delete ? "D" : "U", delete ? "" : stateJson,
                    Long.toString(ttlMillis)));
        }

        /** @return the JSON state the call writes, empty for a delete */
        public String stateJson() {
            return args.get(2);
        }
    }

    private static String sha1(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every Java runtime", e);
        }
    }
}
