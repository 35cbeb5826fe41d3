// Package nfs defines the destination that dagnfs publishes into and its
// implementations: a mounted (or any local) folder, and an NFS server
// reached over the network in userspace, with no mount and no root, over
// NFSv3 (Remote: portmapper, MOUNT, one call per operation) or NFSv4.1
// (Remote4: one port, a session, several operations per COMPOUND). DialAny
// picks the version a URL asks for, or NFSv4.1 with a fallback to NFSv3
// for a server that does not speak it.
//
// # The contract
//
// A Dest names files by slash-separated paths relative to its root ("" is the
// root itself). Every I/O method takes a context first. Errors are
// *fs.PathError values that unwrap to the standard fs.ErrNotExist,
// fs.ErrExist and fs.ErrPermission (and to a syscall.Errno for the rest), so
// errors.Is means the same for a mount and for NFS. What the implementations
// can and cannot do is data (Caps), never a type switch; an optional
// capability (Flush, Calls, KeepListedHandles, Lchown) is an interface that
// the wrappers (Sub, Moved) forward, used through this package's functions
// of the same names.
//
// # The atomic write protocol
//
// Every file dagnfs writes onto an export, DAG files and its own metadata
// alike, goes through the same steps, owned by Pending:
//
//  1. Create the file exclusively under a temporary name that the caller
//     chooses (publish: random, never ending in ".py", see package layout)
//     inside a staging folder of the same export, with its final mode. The staging folder has mode 0300: its owner may
//     create, look up and rename entries but nobody, Airflow included, can
//     list it. Airflow's walk (os.walk with followlinks) silently skips
//     folders it cannot list and recognises zip archives by content whatever
//     their name, so a complete zip is never discoverable under a temporary
//     name, not even for the milliseconds between its last write and its
//     rename.
//  2. Write the bytes, counting and hashing them (sha256); the caller
//     compares the hash with the source's.
//  3. Commit them to stable storage: fsync for a folder; over NFS one
//     FILE_SYNC WRITE for a file that fits one WRITE, else UNSTABLE WRITEs
//     and a COMMIT, with the write verifiers compared so that a server
//     restart in between is detected instead of silently losing data.
//  4. Check the size the destination reports against the bytes written.
//  5. Set mode and owner (SETATTR) where the destination did not apply them
//     at creation, and check them.
//  6. Rename over the final name: one RENAME, atomic on the server, so a
//     reader sees either the old or the new file, never a mix. A RENAME whose
//     reply was lost is not retried blindly: the final name is looked up and
//     its file id compared with the temporary file's. A folder destination
//     then syncs each folder that received names, once after all renames
//     (Flush), as an NFS server does before it answers a RENAME.
//
// If anything fails before step 6 the temporary file is removed
// (defer p.Cleanup(ctx); return p.Commit(ctx)), best effort within
// CleanupBudget for a whole run, so that a dead server cannot hold a
// cancelled run for a timeout per file. A crash or an unreachable server can
// still leave temporary files behind; the publisher records their names in a
// journal before creating them, and the next publish removes them.
//
// # Paths on a folder destination
//
// Local resolves every path one component at a time with O_PATH|O_NOFOLLOW:
// a symlink on the destination is refused (ErrSymlink), never followed, and
// folders that nobody may list (mode 0300) still work for their owner.
// Files are opened with O_NONBLOCK and must be regular (ErrNotRegular).
//
// # NFSv4.1 (RFC 8881)
//
// Remote4 makes a client ID (EXCHANGE_ID, no state protection) and a
// session (CREATE_SESSION: slots, operation and size limits as the server
// grants them), says RECLAIM_COMPLETE, and starts every COMPOUND with
// SEQUENCE on a free slot. A compound whose reply was lost leaves its
// slot's sequence ID as it was: the next request on the slot either runs
// (the server never saw the lost one) or is answered RETRY_UNCACHED_REP
// (it did), and is sent again; callers check what a lost reply did as over
// NFSv3. A lost session or client ID (a server restart) is made again; an
// open file the server forgot is written with the anonymous stateid. The
// lease is renewed by an empty SEQUENCE when nothing else was sent for a
// third of it; Close destroys the session and the client ID. A small file
// costs two compounds: OPEN (GUARDED, with its mode) + GETFH + GETATTR,
// then WRITE (FILE_SYNC) + CLOSE + GETATTR. Owners are numbers ("50000");
// a server that names them otherwise is refused with what to configure.
// Replies are decoded by the same bounded decoder as NFSv3's: every result
// must be the operation asked, in order; bitmaps, attribute lists, names,
// handles and listings are bounded before anything is allocated.
//
// # Caveats of NFSv3 over go-nfs-client
//
// dagnfs owns the RPC record layer (rpc.go) and the decoding of replies
// (xdr.go, proto.go); go-nfs-client provides the argument types and their
// encoding. A reply is bounded (MaxRecord) before anything is allocated,
// every length and count in it is checked against what was asked and what
// is left, and loops over replies (READDIRPLUS, the export list) have
// limits. A reply that does not decode is a TransportError, never a panic.
//
// One RPC connection is never shared by two calls at once (replies would be
// mismatched); the NFS destination keeps a pool of connections, one per
// concurrent worker. Every call has a timeout and honours context
// cancellation by closing its connection; a broken connection is discarded
// and redialled, so a server restart costs a retry, not the publish. The
// AUTH_UNIX credential carries the configured gid as its supplementary group
// (the library's default of 0 would ask for root's group).
package nfs
