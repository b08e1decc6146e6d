/** Implementation details of the testkit; users must not import them. */
package io.dualwrite.testkit.internal;
