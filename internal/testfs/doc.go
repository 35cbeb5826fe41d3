// Package testfs holds the file tree helpers that the tests of several
// packages share.
package testfs
