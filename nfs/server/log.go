package server

import gonfs "github.com/willscott/go-nfs"

// quiet drops go-nfs's log lines: it reports routine client errors (a
// lookup of a missing name) at error level.
type quiet struct{ level gonfs.LogLevel }

func quietLogger() gonfs.Logger { return &quiet{} }

func (q *quiet) SetLevel(l gonfs.LogLevel)                 { q.level = l }
func (q *quiet) GetLevel() gonfs.LogLevel                  { return q.level }
func (q *quiet) ParseLevel(string) (gonfs.LogLevel, error) { return q.level, nil }
func (*quiet) Panic(args ...interface{})                   { panic(args) }
func (*quiet) Fatal(...interface{})                        {}
func (*quiet) Error(...interface{})                        {}
func (*quiet) Warn(...interface{})                         {}
func (*quiet) Info(...interface{})                         {}
func (*quiet) Debug(...interface{})                        {}
func (*quiet) Trace(...interface{})                        {}
func (*quiet) Print(...interface{})                        {}
func (*quiet) Panicf(f string, args ...interface{})        { panic(f) }
func (*quiet) Fatalf(string, ...interface{})               {}
func (*quiet) Errorf(string, ...interface{})               {}
func (*quiet) Warnf(string, ...interface{})                {}
func (*quiet) Infof(string, ...interface{})                {}
func (*quiet) Debugf(string, ...interface{})               {}
func (*quiet) Tracef(string, ...interface{})               {}
func (*quiet) Printf(string, ...interface{})               {}
