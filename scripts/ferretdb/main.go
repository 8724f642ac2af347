// A FerretDB server for govc's tests: FerretDB's embeddable package behind a
// few flags. (The module's own `ferretdb` command panics at start: a version
// file is missing from the published module.) It prints the MongoDB URI it
// serves on one stdout line once listening, and stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "TCP address to listen on (port 0 picks a free one)")
	tls := flag.String("tls-listen", "", "TLS address to listen on instead of plain TCP")
	cert := flag.String("tls-cert", "", "TLS certificate file (PEM)")
	key := flag.String("tls-key", "", "TLS private key file (PEM)")
	ca := flag.String("tls-ca", "", "CA file (PEM) for client certificates")
	pg := flag.String("postgresql-url", "", "PostgreSQL URL of the backend database, e.g. postgres://postgres@127.0.0.1:5432/db")
	sqlite := flag.String("sqlite-url", "", "SQLite backend directory URL instead, e.g. file:/tmp/data/")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fail("bad -log-level: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	config := &ferretdb.Config{Logger: logger}
	switch {
	case *pg != "" && *sqlite == "":
		config.Handler, config.PostgreSQLURL = "postgresql", *pg
	case *sqlite != "" && *pg == "":
		config.Handler, config.SQLiteURL = "sqlite", *sqlite
	default:
		fail("give exactly one of -postgresql-url and -sqlite-url")
	}
	if *tls != "" {
		config.Listener = ferretdb.ListenerConfig{TLS: *tls, TLSCertFile: *cert, TLSKeyFile: *key, TLSCAFile: *ca}
	} else {
		config.Listener = ferretdb.ListenerConfig{TCP: *listen}
	}

	f, err := ferretdb.New(config)
	if err != nil {
		fail("%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	fmt.Println(f.MongoDBURI())
	if err := f.Run(ctx); err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ferretdb: "+format+"\n", args...)
	os.Exit(2)
}
