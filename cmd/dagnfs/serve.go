package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/dagnfs/dagnfs/nfs/server"
)

const serveHelp = `Usage: dagnfs serve --export DIR [--listen ADDR]

Serve DIR over NFSv3 (MOUNT and NFS on one TCP port, no portmapper) for trying
dagnfs without a real NFS server. It prints the export's nfs:// URL and runs
until interrupted. Nothing outside DIR is ever read or changed: no operation
follows a symlink out of it. Only "/" (all of DIR) can be mounted.

Not for production: files belong to the user running it, whatever the
client's AUTH_UNIX credential, and no permissions are checked. It refuses to
run as root unless --allow-root; run it as the user that should own the
files (e.g. setpriv --reuid 50000 --regid 50000 --clear-groups dagnfs serve
...). --read-only and --root-squash simulate what production exports do.

Example:
  dagnfs serve --export ./export --listen 127.0.0.1:2049    # as the user that should own the files

Flags:
`

type serveOptions struct {
	export     string
	listen     string
	urlFile    string
	allowRoot  bool
	readOnly   bool
	rootSquash bool
}

// AddFlags registers the flags.
func (o *serveOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.export, "export", "", "folder to export (required)")
	f.StringVar(&o.listen, "listen", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	f.StringVar(&o.urlFile, "url-file", "", "also write the URL to this file once serving")
	f.BoolVar(&o.allowRoot, "allow-root", false, "serve even when running as root")
	f.BoolVar(&o.readOnly, "read-only", false, "refuse every change, like an export with ro (NFS3ERR_ROFS)")
	f.BoolVar(&o.rootSquash, "root-squash", false, "a client mounting as uid 0 is treated as nobody (65534), like root_squash")
}

func runServeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := &serveOptions{}
	fset := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	o.AddFlags(fset)
	if _, err := parseFlags(fset, args, serveHelp, stdout, 0, 0); err != nil {
		return err
	}
	if o.export == "" {
		return usagef("--export DIR is required (see dagnfs serve --help)")
	}
	var urlOut *os.File
	if o.urlFile != "" {
		// Checked before anything starts, not after.
		f, err := os.OpenFile(o.urlFile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return usagef("--url-file %s: %v; name a file this user can write", o.urlFile, err)
		}
		urlOut = f
		defer urlOut.Close()
	}
	if os.Geteuid() == 0 && !o.allowRoot {
		return usagef("refusing to serve as root: a client could then change anything root may in %s; run it as the user that should own the files (e.g. setpriv --reuid 50000 --regid 50000 --clear-groups), or pass --allow-root", o.export)
	}
	s, err := server.Start(o.export, o.listen, server.Options{ReadOnly: o.readOnly, RootSquash: o.rootSquash})
	if err != nil {
		return fmt.Errorf("serve %s on %s: %w", o.export, o.listen, err)
	}
	fmt.Fprintln(stdout, s.URL())
	if urlOut != nil {
		if _, err := urlOut.WriteString(s.URL() + "\n"); err != nil {
			s.Close()
			return fmt.Errorf("--url-file %s: %w", o.urlFile, err)
		}
		if err := urlOut.Close(); err != nil {
			s.Close()
			return fmt.Errorf("--url-file %s: %w", o.urlFile, err)
		}
	}
	return s.Wait(ctx)
}
