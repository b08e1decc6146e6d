/** The JDBC sink. */
package io.dualwrite.jdbc;
