/** Implementation of the command line: its commands, MongoDB access and rendering. Users must not import it. */
package io.dualwrite.cli.internal;
