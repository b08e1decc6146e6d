/** Implementation details of the JDBC sink; users must not import this package. */
package io.dualwrite.jdbc.internal;
