package validate

/*
#include <stdlib.h>
void ts_set_allocator(void *(*)(size_t), void *(*)(size_t, size_t), void *(*)(void *, size_t), void (*)(void *));
static void dagnfs_libc_allocator(void) { ts_set_allocator(malloc, calloc, realloc, free); }
*/
import "C"

// go-tree-sitter routes every allocation of the C library through Go
// callbacks (C to Go to C), which made allocation the largest cost of a
// parse. dagnfs sets no allocator of its own, so the C library's malloc is
// given to tree-sitter directly: the same functions, without the round trip.
func init() { C.dagnfs_libc_allocator() }
