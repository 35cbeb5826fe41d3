// Package perms decides, with the POSIX rules, whether an identity may read,
// write or traverse a file given its owner, group and mode, and holds the
// identities Airflow runs as.
//
// The rules are those of the kernel (and of an NFS server checking AUTH_UNIX
// credentials): exactly one class applies, the first that matches among
// owner, group and other. An owner whose class grants less than "other" is
// refused even though everyone else is allowed. Root (uid 0) may read and
// write anything and traverse any folder, and execute a file only when some
// execute bit is set. ACLs and root squash are outside this model: over NFS
// the server's ACCESS answer is the authority, and this package explains it.
package perms
