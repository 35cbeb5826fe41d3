package nfs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// DialAny connects to u with the NFS version it asks for (?vers=3 or
// ?vers=4.1). Without one it tries NFSv4.1 on the NFS port (the URL's, or
// 2049) and falls back to NFSv3 only when the server does not speak
// NFSv4.1 there: the connection is refused, the NFS program or version 4
// is not served, or minor version 1 is not. Any other error (a path that
// is not found, a permission) is the answer, so that one URL never names
// two different folders.
func DialAny(ctx context.Context, u *URL, opts Options) (Dest, error) {
	opts.defaults()
	vers := u.Version
	if vers == "" {
		vers = opts.Version
	}
	switch vers {
	case Vers3:
		return DialURL(ctx, u, opts)
	case Vers41:
		return dial4(ctx, u, opts)
	}
	speaks, why, err := probe4(ctx, u, opts)
	if err != nil {
		return nil, err
	}
	if !speaks {
		opts.Log.Info("the server does not speak NFSv4.1; using NFSv3", "server", u.Host, "why", why)
		return DialURL(ctx, u, opts)
	}
	return dial4(ctx, u, opts)
}

// probe4 sends an empty NFSv4.1 COMPOUND to the NFS port: whether the
// server speaks NFSv4.1, and why not.
func probe4(ctx context.Context, u *URL, opts Options) (bool, string, error) {
	port := u.Port
	if port == 0 {
		port = 2049
	}
	addr := net.JoinHostPort(u.Host, strconv.Itoa(port))
	c, err := dialRPC(ctx, addr, opts.Timeout, newAuth(opts.UID, opts.GID), nil)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return false, fmt.Sprintf("nothing listens on %s", addr), nil
	}
	if err != nil {
		return false, "", fmt.Errorf("%s: connecting to %s: %w (give ?vers=3 for an NFSv3-only server whose portmapper names another port)", u, addr, err)
	}
	defer c.close()
	// One operation outside a session: an NFSv4.1 server answers
	// OP_NOT_IN_SESSION, one without minor version 1 MINOR_VERS_MISMATCH.
	// (An empty COMPOUND would do, but nfs-ganesha logs each as an error.)
	var cmp compound
	cmp.op(opPutrootfh)
	head, _ := cmp.encode()
	d, err := c.callDataTail(ctx, progNFS, versNFS4, procCompound, rawArgs(head), nil, nil)
	var re *RPCError
	if errors.As(err, &re) && re.Unsupported {
		return false, re.Msg, nil
	}
	if err != nil {
		return false, "", fmt.Errorf("%s: %w", u, err)
	}
	if len(d.b)-d.off < 12 {
		// Accepted, but shorter than any COMPOUND result (status, tag,
		// count): not an NFSv4 server (go-nfs answers every version so).
		return false, "a reply to NFSv4's COMPOUND that is not one", nil
	}
	_, err = newV4Reply(d, cmp.ops)
	var oe *opError
	if errors.As(err, &oe) && oe.Status == Status4MinorVersMismatch {
		return false, oe.Status.Error(), nil
	}
	if err != nil && !errors.As(err, &oe) {
		return false, "", fmt.Errorf("%s: %w", u, err)
	}
	return true, "", nil
}
