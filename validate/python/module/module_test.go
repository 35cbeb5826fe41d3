package module

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// What a module's top level binds: definitions, assignments, loop and with
// targets, imports (the bound name of each), names under if and try, not
// what a function binds; a literal __all__, star imports, and a
// module-level __getattr__ that makes any name resolve.
func TestNames(t *testing.T) {
	src := []byte(`import os.path, sys as system
from .sub import *
from pkg import a, b as bee
__all__ = ["x", "f"]
x = y = 1
(p, [q, *r]) = 1, [2, 3]
def f(): inner = 1
class C: pass
for i in range(3): pass
with open(f) as (fh, other): pass
if x:
    cond = 1
try:
    import json
except ImportError:
    json = None
def __getattr__(name): raise AttributeError(name)
`)
	mi := Names(src)
	assert.Equal(t, []string{"os", "system", "a", "bee", "__all__", "x", "y", "p", "q", "r", "f", "C", "i", "fh", "other", "cond", "json", "__getattr__"}, mi.Names)
	assert.Equal(t, []string{"x", "f"}, mi.All)
	assert.Equal(t, []string{".sub"}, mi.Stars)
	assert.True(t, mi.Dynamic)
	assert.False(t, mi.Failed)

	assert.True(t, Names([]byte("def f(:\n")).Failed, "a module that does not compile has unknown names")
	assert.True(t, Names([]byte("x = '\xe9'\n")).Failed, "nor one whose bytes its codec refuses")
	assert.Equal(t, []string{"é"}, Names([]byte("# coding: latin-1\n\xe9 = 1\n")).Names, "a declared codec is applied")
}

// Each import with when it runs: at import, guarded by a handler of
// ImportError, under TYPE_CHECKING, or deferred into a function.
func TestImports(t *testing.T) {
	src := []byte(`import a.b
from . import rel
from ..up import thing
try:
    import guarded
except (ImportError, ValueError):
    pass
try:
    import unguarded
except KeyError:
    pass
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    import typed
def task():
    from deferred import run
`)
	type got struct {
		Module, Name string
		Level        int
		Context      Context
	}
	var all []got
	for _, im := range Imports(src) {
		all = append(all, got{im.Module, im.Name, im.Level, im.Context})
	}
	assert.Equal(t, []got{
		{"a.b", "", 0, AtImport},
		{"", "rel", 1, AtImport},
		{"up", "thing", 2, AtImport},
		{"guarded", "", 0, Guarded},
		{"unguarded", "", 0, AtImport},
		{"typing", "TYPE_CHECKING", 0, AtImport},
		{"typed", "", 0, TypeChecking},
		{"deferred", "run", 0, Deferred},
	}, all)
	assert.Nil(t, Imports([]byte("import (\n")), "a module that does not compile lists none")
}

func TestIdentifier(t *testing.T) {
	for s, want := range map[string]bool{"airflow": true, "_x1": true, "": false, "1x": false, "a-b": false, "é": false, "a.b": false} {
		assert.Equal(t, want, Identifier(s), "%q", s)
	}
}
