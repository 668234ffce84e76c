// Command notecheck checks a cart-chain signed checkpoint with Go's
// golang.org/x/mod/sumdb/note, an implementation that is not ours.
//
// Usage: notecheck VKEY < checkpoint
//
// It builds the verifier with note.NewVerifier(VKEY), opens the note with note.Open,
// and parses the C2SP tlog-checkpoint body by hand (x/mod's tlog.ParseTree reads only
// the older go.sum tree format): origin line, tree size in decimal, root in base64.
// On success it prints "ok ORIGIN SIZE ROOT" and exits 0; otherwise it prints why and
// exits 1.
package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

func fail(format string, args ...interface{}) {
	fmt.Printf(format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: notecheck VKEY < checkpoint")
	}
	verifier, err := note.NewVerifier(os.Args[1])
	if err != nil {
		fail("NewVerifier: %v", err)
	}
	msg, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("read: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail("Open: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) < 3 {
		fail("checkpoint body has %d lines, want at least 3", len(lines))
	}
	if lines[0] != verifier.Name() {
		fail("origin %q is not the key's name %q", lines[0], verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		fail("tree size %q is not a decimal number", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != 32 {
		fail("root %q is not a 32-byte hash in base64", lines[2])
	}
	fmt.Printf("ok %s %d %s\n", lines[0], size, lines[2])
}
