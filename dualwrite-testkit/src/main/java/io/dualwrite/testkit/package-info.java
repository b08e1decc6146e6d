/** Test support for dualwrite users and for dualwrite itself. */
package io.dualwrite.testkit;
