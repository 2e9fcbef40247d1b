package main

import (
	"bufio"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// secretList is a repeatable flag whose values are never shown, not even in
// the default value printed by --help.
type secretList struct{ keys []string }

func (l *secretList) String() string { return "" }
func (l *secretList) Set(v string) error {
	if v == "" {
		return errors.New("empty key")
	}
	l.keys = append(l.keys, v)
	return nil
}

// newFlagSet returns a FlagSet that reports nothing itself: parse errors
// come back from parse and are printed by finish, help by printHelp.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// helpText is what --help prints: a usage line, a description and examples
// around the flag list.
type helpText struct {
	usage    string
	about    string
	examples string
}

// parse parses flags that may appear before, between or after positional
// arguments, the way most command-line tools accept them. "--" ends the
// flags: everything after it is positional. It returns the positional
// arguments, or errHelp after printing help to s.out.
func parse(s stdio, fs *flag.FlagSet, h helpText, args []string) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			printHelp(s.out, fs, h)
			return nil, errReported(exitOK)
		}
		if err != nil {
			return nil, usageErr("%v", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func printHelp(w io.Writer, fs *flag.FlagSet, h helpText) {
	fmt.Fprintf(w, "Usage:\n  %s\n\n%s\n", h.usage, strings.TrimSpace(h.about))
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		printFlags(w, fs)
	}
	if h.examples != "" {
		fmt.Fprintf(w, "\nExamples:\n%s\n", strings.TrimRight(h.examples, "\n"))
	}
	fmt.Fprint(w, "\nExit status: 0 ok, 1 invalid cookie or not found, 2 usage error, 3 store or I/O error.\n")
}

// printFlags lists the flags in the --flag style the usage lines use (the
// flag package's PrintDefaults writes -flag).
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if arg != "" {
			line += " " + arg
		}
		if def := f.DefValue; def != "" && def != "false" && def != "0" {
			usage += fmt.Sprintf(" (default %q)", def)
		}
		fmt.Fprintf(w, "%s\n    \t%s\n", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
	})
}

// counted puts the noun of a count ("live records", "rows", possibly with a
// remark in parentheses) in the singular for 1.
func counted(n int64, what string) string {
	if n != 1 {
		return what
	}
	noun, rest, _ := strings.Cut(what, " (")
	noun = strings.TrimSuffix(noun, "s")
	if rest != "" {
		return noun + " (" + rest
	}
	return noun
}

// keyFlags are the flags that say how cookies are signed.
type keyFlags struct {
	secrets    secretList
	secretFile string
	salt       string
	digest     string
}

func (k *keyFlags) register(fs *flag.FlagSet) {
	fs.Var(&k.secrets, "secret", "secret `KEY`; repeat for fallback keys (the first is the current key)")
	fs.StringVar(&k.secretFile, "secret-file", "", "read keys from `PATH`, one per line, first = current")
	fs.StringVar(&k.salt, "salt", "cookie-session", "key-derivation `salt` (Flask's session cookie: cookie-session)")
	fs.StringVar(&k.digest, "digest", "sha1", "HMAC `hash`: sha1 (Flask's default), sha256, sha384 or sha512")
}

// envSecret names the environment variable holding one key.
const envSecret = "SESSIONCTL_SECRET"

// keys returns the configured keys, current key first: the --secret values,
// then the lines of --secret-file; SESSIONCTL_SECRET only if neither flag
// was given. It may return no keys.
func (k *keyFlags) keys() ([][]byte, error) {
	var out [][]byte
	for _, s := range k.secrets.keys {
		out = append(out, []byte(s))
	}
	if k.secretFile != "" {
		fileKeys, err := readSecretFile(k.secretFile)
		if err != nil {
			return nil, err
		}
		out = append(out, fileKeys...)
	}
	if len(k.secrets.keys) == 0 && k.secretFile == "" {
		if v := os.Getenv(envSecret); v != "" {
			out = append(out, []byte(v))
		}
	}
	return out, nil
}

// readSecretFile reads one key per line. Line ends (LF or CRLF) are not part
// of a key; blank lines are skipped; other whitespace is kept, because it
// may be part of a key.
func readSecretFile(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, storeErr(fmt.Errorf("secret file: %w", err))
	}
	defer f.Close()
	var keys [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			continue
		}
		keys = append(keys, []byte(line))
	}
	if err := sc.Err(); err != nil {
		return nil, storeErr(fmt.Errorf("secret file %s: %w", path, err))
	}
	if len(keys) == 0 {
		return nil, usageErr("secret file %s holds no key", path)
	}
	return keys, nil
}

func (k *keyFlags) hash() (func() hash.Hash, error) {
	switch strings.ToLower(k.digest) {
	case "sha1", "sha-1":
		return sha1.New, nil
	case "sha256", "sha-256":
		return sha256.New, nil
	case "sha384", "sha-384":
		return sha512.New384, nil
	case "sha512", "sha-512":
		return sha512.New, nil
	}
	return nil, usageErr("unknown --digest %q (want sha1, sha256, sha384 or sha512)", k.digest)
}

// isTerminal reports whether w is a terminal, where a progress line may be
// redrawn in place. Tests replace it.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
