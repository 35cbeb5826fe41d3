package perms

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// Access is a set of permissions, in the bit layout of one mode class.
type Access uint8

// The permissions.
const (
	Exec  Access = 1
	Write Access = 2
	Read  Access = 4
)

// Traverse is what looking up a name inside a folder needs.
const Traverse = Exec

// ReadDir is what listing a folder needs.
const ReadDir = Read | Exec

func (a Access) String() string {
	var b strings.Builder
	for _, p := range []struct {
		a Access
		c byte
	}{{Read, 'r'}, {Write, 'w'}, {Exec, 'x'}} {
		if a&p.a != 0 {
			b.WriteByte(p.c)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// Identity is a uid with its groups (primary group first).
type Identity struct {
	UID  uint32
	GIDs []uint32
}

func (id Identity) String() string {
	gs := make([]string, len(id.GIDs))
	for i, g := range id.GIDs {
		gs[i] = strconv.FormatUint(uint64(g), 10)
	}
	return fmt.Sprintf("uid %d gid %s", id.UID, strings.Join(gs, ","))
}

// InGroup reports whether gid is one of the identity's groups.
func (id Identity) InGroup(gid uint32) bool {
	for _, g := range id.GIDs {
		if g == gid {
			return true
		}
	}
	return false
}

// Airflow is the identities an Airflow pod reads the dags folder as: the
// official image runs as uid 50000 with gid 0, Astronomer's deployments as
// uid 50000 with gid 50000. A published file must be readable for both.
var Airflow = []Identity{{UID: 50000, GIDs: []uint32{0}}, {UID: 50000, GIDs: []uint32{50000}}}

// Class returns the mode bits that apply to id for a file owned by
// owner:group with the given mode, and the name of that class.
func Class(id Identity, owner, group uint32, mode fs.FileMode) (Access, string) {
	perm := uint32(mode.Perm())
	switch {
	case id.UID == owner:
		return Access(perm >> 6 & 7), "owner"
	case id.InGroup(group):
		return Access(perm >> 3 & 7), "group"
	default:
		return Access(perm & 7), "other"
	}
}

// Allowed reports whether id has every permission in want on a file or
// folder owned by owner:group with the given mode.
func Allowed(id Identity, owner, group uint32, mode fs.FileMode, want Access) bool {
	if id.UID == 0 {
		if want&Exec == 0 || mode.IsDir() {
			return true
		}
		return mode.Perm()&0o111 != 0
	}
	got, _ := Class(id, owner, group, mode)
	return got&want == want
}

// Explain says why id lacks want, in words for an error message, or returns
// "" when id has it.
func Explain(id Identity, owner, group uint32, mode fs.FileMode, want Access) string {
	if Allowed(id, owner, group, mode, want) {
		return ""
	}
	got, class := Class(id, owner, group, mode)
	return fmt.Sprintf("%s is in the %s class of %d:%d mode %04o, which grants %s but %s is needed",
		id, class, owner, group, mode.Perm(), got, want)
}

// ParseIdentity reads "UID:GID[,GID...]" or "UID" (gid = uid).
func ParseIdentity(s string) (Identity, error) {
	uidS, gidS, hasG := strings.Cut(strings.TrimSpace(s), ":")
	uid, err := parseID(uidS)
	if err != nil {
		return Identity{}, fmt.Errorf("identity %q: %w (want UID:GID, e.g. 50000:0)", s, err)
	}
	id := Identity{UID: uid}
	if !hasG {
		id.GIDs = []uint32{uid}
		return id, nil
	}
	for _, g := range strings.Split(gidS, ",") {
		gid, err := parseID(g)
		if err != nil {
			return Identity{}, fmt.Errorf("identity %q: %w (want UID:GID, e.g. 50000:0)", s, err)
		}
		id.GIDs = append(id.GIDs, gid)
	}
	return id, nil
}

func parseID(s string) (uint32, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a numeric id", s)
	}
	return uint32(n), nil
}

// ParseMode reads a permission mode written in octal ("0644", "755").
func ParseMode(s string) (fs.FileMode, error) {
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 0o777 {
		return 0, fmt.Errorf("%q is not an octal permission mode like 0644", s)
	}
	return fs.FileMode(n), nil
}
