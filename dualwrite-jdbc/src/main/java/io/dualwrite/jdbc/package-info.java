/**
 * The JDBC sink, proven on PostgreSQL: keeps a table in step with the primary through one
 * version-guarded upsert statement per change, with tombstone rows for deletes. Entry point:
 * {@link io.dualwrite.jdbc.JdbcSink}; the expected table: {@link io.dualwrite.jdbc.JdbcTables}.
 */
package io.dualwrite.jdbc;
