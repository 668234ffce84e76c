// Command cosigcheck checks a checkpoint signed by a cart-chain log and cosigned by a
// witness, with Go's golang.org/x/mod/sumdb/note (note.Open) and crypto/ed25519:
// no cart-chain code. The log's signature is checked by note.NewVerifier; the
// cosignature by a note.Verifier written from the C2SP tlog-cosignature spec
// (key ID over 0x04 || key, signature = u64 timestamp || Ed25519 signature over
// "cosignature/v1\ntime T\n" || note body).
//
// Usage: cosigcheck LOG_VKEY COSIGNER_VKEY < note
//
// On success it prints "ok SIZE TIMESTAMP" and exits 0; otherwise it prints why and
// exits 1.
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

func fail(format string, args ...interface{}) {
	fmt.Printf(format+"\n", args...)
	os.Exit(1)
}

type cosigner struct {
	name string
	hash uint32
	key  ed25519.PublicKey
	seen *uint64
}

func (c cosigner) Name() string    { return c.name }
func (c cosigner) KeyHash() uint32 { return c.hash }
func (c cosigner) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	signed := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), msg...)
	if !ed25519.Verify(c.key, signed, sig[8:]) {
		return false
	}
	*c.seen = t
	return true
}

func parseCosigner(vkey string) cosigner {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		fail("cosigner key %q is not NAME+HASH+BASE64", vkey)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 0x04 {
		fail("cosigner key %q is not a cosignature/v1 Ed25519 key", vkey)
	}
	id := sha256.Sum256(append([]byte(parts[0]+"\n"), raw...))
	if hex.EncodeToString(id[:4]) != parts[1] {
		fail("cosigner key hash %s does not match", parts[1])
	}
	var seen uint64
	return cosigner{parts[0], binary.BigEndian.Uint32(id[:4]), ed25519.PublicKey(raw[1:]), &seen}
}

func main() {
	if len(os.Args) != 3 {
		fail("usage: cosigcheck LOG_VKEY COSIGNER_VKEY < note")
	}
	logKey, err := note.NewVerifier(os.Args[1])
	if err != nil {
		fail("NewVerifier: %v", err)
	}
	witness := parseCosigner(os.Args[2])
	msg, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("read: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(logKey, witness))
	if err != nil {
		fail("Open: %v", err)
	}
	signedBy := map[string]bool{}
	for _, s := range n.Sigs {
		signedBy[s.Name] = true
	}
	if !signedBy[logKey.Name()] || !signedBy[witness.name] {
		fail("signed by %v: want the log %s and the witness %s", signedBy, logKey.Name(), witness.name)
	}
	lines := strings.Split(n.Text, "\n")
	fmt.Printf("ok %s %d\n", lines[1], *witness.seen)
}
