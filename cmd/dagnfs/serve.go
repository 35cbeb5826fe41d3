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
until interrupted. Not for production: it ignores AUTH_UNIX credentials and
checks no permissions.

Flags:
`

type serveOptions struct {
	export  string
	listen  string
	urlFile string
}

// AddFlags registers the flags.
func (o *serveOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.export, "export", "", "folder to export (required)")
	f.StringVar(&o.listen, "listen", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	f.StringVar(&o.urlFile, "url-file", "", "also write the URL to this file once serving")
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
	s, err := server.Start(o.export, o.listen)
	if err != nil {
		return fmt.Errorf("serve %s on %s: %w", o.export, o.listen, err)
	}
	fmt.Fprintln(stdout, s.URL())
	if o.urlFile != "" {
		if err := os.WriteFile(o.urlFile, []byte(s.URL()+"\n"), 0o644); err != nil {
			s.Close()
			return err
		}
	}
	return s.Wait(ctx)
}
