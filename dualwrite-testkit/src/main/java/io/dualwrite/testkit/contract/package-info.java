/**
 * Abstract contract tests of the SPIs: every sink's test extends
 * {@link io.dualwrite.testkit.contract.AbstractSinkContractTest} (a reconcilable sink's also
 * {@link io.dualwrite.testkit.contract.AbstractReconciliationContractTest}), every primary store's test extends
 * {@link io.dualwrite.testkit.contract.AbstractPrimaryStoreContractTest}; each supplies the
 * implementation on its real server and inherits the {@code @Test final} methods.
 */
package io.dualwrite.testkit.contract;
