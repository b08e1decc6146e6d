/** The HTTP sink. */
package io.dualwrite.http;
