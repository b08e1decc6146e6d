/** Implementation details of the HTTP sink; users must not import this package. */
package io.dualwrite.http.internal;
