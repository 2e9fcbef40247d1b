// Command sessionctl decodes, verifies and signs Flask session cookies, and
// inspects and manages the server-side stores of github.com/flaskgo/session.
//
// Usage:
//
//	sessionctl <command> [flags] [arguments]
//
// Run "sessionctl help" for the list of commands and exit codes, and
// "sessionctl <command> --help" for a command's flags and examples.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Exit codes. They are part of the command's contract: scripts branch on them.
const (
	exitOK      = 0 // success
	exitInvalid = 1 // invalid cookie, or record not found
	exitUsage   = 2 // usage error
	exitStore   = 3 // store or I/O error
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// cmdError carries an exit code with the error a command failed with.
type cmdError struct {
	code int
	err  error
}

func (e *cmdError) Error() string { return e.err.Error() }
func (e *cmdError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &cmdError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

func invalidErr(err error) error { return &cmdError{code: exitInvalid, err: err} }

func storeErr(err error) error { return &cmdError{code: exitStore, err: err} }

// errReported is returned by a command that has already said everything on
// stderr and only needs the exit code.
type errReported int

func (e errReported) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// stdio bundles the streams a command talks to, so that tests drive run
// with buffers.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// commands maps command names to their implementations; mainHelp lists them.
var commands = map[string]func(s stdio, args []string) error{
	"decode":  runDecode,
	"verify":  runVerify,
	"inspect": runInspect,
	"sign":    runSign,
	"keys":    runKeys,
	"store":   runStore,
}

// run is the whole program: it parses args (without the program name), does
// the work and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := stdio{in: stdin, out: stdout, err: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, mainHelp)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return runHelp(s, rest)
	}
	if cmd, ok := commands[name]; ok {
		return finish(s, "sessionctl "+name, cmd(s, rest))
	}
	fmt.Fprintf(stderr, "sessionctl: unknown command %q\nRun 'sessionctl help' for the list of commands.\n", name)
	return exitUsage
}

// finish prints a command's error and turns it into an exit code.
func finish(s stdio, prefix string, err error) int {
	if err == nil {
		return exitOK
	}
	var rep errReported
	if errors.As(err, &rep) {
		return int(rep)
	}
	code := exitStore
	var ce *cmdError
	if errors.As(err, &ce) {
		code = ce.code
	}
	fmt.Fprintf(s.err, "%s: %v\n", prefix, err)
	if code == exitUsage {
		fmt.Fprintf(s.err, "Run '%s --help' for usage.\n", prefix)
	}
	return code
}

func runHelp(s stdio, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(s.out, mainHelp)
		return exitOK
	}
	if args[0] == "help" {
		fmt.Fprint(s.out, mainHelp)
		return exitOK
	}
	// "help store ls" is "store ls --help".
	return run(append(append([]string{}, args...), "--help"), s.in, s.out, s.err)
}

const mainHelp = `sessionctl decodes, verifies and signs Flask session cookies, and inspects
and manages the server-side session stores of github.com/flaskgo/session.

Usage:
  sessionctl <command> [flags] [arguments]

Cookie commands:
  decode   print the session inside a cookie as one JSON object
  verify   check a cookie's signature and age; the answer is the exit status
  inspect  describe a cookie: fields, signing time, age, key, compression, size
  sign     make a cookie from a JSON session read on stdin
  keys     count how many cookies of a sample each key verifies (can a fallback key go?)

Store commands:
  store stats            count the records
  store ls               list keys with their expiry and user
  store show KEY         print one record
  store put KEY          store a session read on stdin
  store rm KEY...        delete records
  store revoke --user ID delete every session of a user
  store purge-expired    delete expired records (stores without native expiry)

Run 'sessionctl <command> --help' (or 'sessionctl help <command>') for a
command's flags and examples. Flags may come before or after arguments; "--"
ends the flags. Every command takes --json for machine-readable output.

Secret keys (cookie commands and keys):
  --secret KEY        repeatable; the first key signs, every key verifies
  --secret-file PATH  one key per line, first line = current key
  SESSIONCTL_SECRET   environment variable holding one key (commas are part of it)
  --secret and --secret-file combine (flags first, then the file's lines); the
  environment variable is used only when neither is given. Prefer the file or
  the environment: they keep keys out of shell history. Keys are never printed.

Stores (store commands): --store URL or the environment variable SESSIONCTL_STORE
  memory:                               an empty in-process store (for trying things out)
  file:DIR                              filestore directory
  sqlite:FILE                           sqlstore table in an SQLite file
  postgres://user:pass@host:port/db     sqlstore table in PostgreSQL
  mysql://user:pass@host:port/db        sqlstore table in MySQL or MariaDB
  redis://[user:pass@]host:port[/db]    redisstore on one Redis server (rediss:// for TLS)
  redis+cluster://h1:p1,h2:p2           redisstore on a Redis Cluster
  memcached://host:port                 memcachestore on memcached
  --flask-session: the store as Flask-Session lays it out (key = --key-prefix +
  session id; file: cachelib FileSystemCache; SQL: its SQLAlchemy table)

Exit status:
  0  success: the cookie is valid, the record exists, the operation was done
  1  invalid cookie (bad signature, expired, malformed), or record not found
  2  usage error: unknown command or flag, missing or extra arguments, no key
  3  store or I/O error: cannot connect, query failed, cannot read a file
`
