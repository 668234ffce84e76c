// Command tlogcheck checks cart-chain's Merkle proofs with Go's golang.org/x/mod/sumdb/tlog,
// an implementation that is not ours (the Go checksum database's).
//
// Standard input is one JSON object:
//
//	{"leaves": [hex leaf data, ...],                 // the whole ledger, leaf i = entry i+1
//	 "stored": [hex stored hash, ...],               // cart-chain's tree_hashes, by idx
//	 "inclusion": [output of proof inclusion --json, ...],
//	 "consistency": [output of proof consistency --json, ...]}
//
// For each proof it runs tlog.CheckRecord / tlog.CheckTree against the roots cart-chain
// printed, and it recomputes the stored hashes and every root with tlog itself. It prints
// one line per failure and exits 1 if there is any; "ok N" and exit 0 otherwise.
package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/tlog"
)

type inclusion struct {
	Seq       int64    `json:"seq"`
	LeafIndex int64    `json:"leaf_index"`
	TreeSize  int64    `json:"tree_size"`
	LeafData  string   `json:"leaf_data"`
	Proof     []string `json:"proof"`
	Root      string   `json:"root"`
}

type consistency struct {
	From    int64    `json:"from"`
	To      int64    `json:"to"`
	Proof   []string `json:"proof"`
	OldRoot string   `json:"old_root"`
	NewRoot string   `json:"new_root"`
}

type input struct {
	Leaves      []string      `json:"leaves"`
	Stored      []string      `json:"stored"`
	Inclusion   []inclusion   `json:"inclusion"`
	Consistency []consistency `json:"consistency"`
}

var failures int

func fail(format string, args ...interface{}) {
	failures++
	fmt.Printf(format+"\n", args...)
}

func b64(s string) tlog.Hash {
	var h tlog.Hash
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != len(h) {
		fail("not a base64 hash: %q", s)
		return h
	}
	copy(h[:], raw)
	return h
}

func hashes(list []string) []tlog.Hash {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		out[i] = b64(s)
	}
	return out
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Println("bad input:", err)
		os.Exit(2)
	}
	// tlog's own stored hashes for the ledger's leaves, built as tlog builds them.
	var mine []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x >= int64(len(mine)) {
				return nil, fmt.Errorf("no stored hash %d", x)
			}
			out[i] = mine[x]
		}
		return out, nil
	})
	for n, leaf := range in.Leaves {
		data, err := hex.DecodeString(leaf)
		if err != nil {
			fail("leaf %d is not hex", n)
			continue
		}
		add, err := tlog.StoredHashes(int64(n), data, reader)
		if err != nil {
			fail("StoredHashes(%d): %v", n, err)
			continue
		}
		mine = append(mine, add...)
	}
	if in.Stored != nil {
		if len(in.Stored) != len(mine) {
			fail("cart-chain stores %d hashes, tlog %d", len(in.Stored), len(mine))
		}
		for i := 0; i < len(in.Stored) && i < len(mine); i++ {
			if in.Stored[i] != hex.EncodeToString(mine[i][:]) {
				level, n := tlog.SplitStoredHashIndex(int64(i))
				fail("stored hash %d (level %d, index %d) differs from tlog's", i, level, n)
			}
		}
	}
	for _, p := range in.Inclusion {
		data, _ := hex.DecodeString(p.LeafData)
		root := b64(p.Root)
		if err := tlog.CheckRecord(hashes(p.Proof), p.TreeSize, root, p.LeafIndex, tlog.RecordHash(data)); err != nil {
			fail("CheckRecord entry %d in tree %d: %v", p.Seq, p.TreeSize, err)
		}
		if p.TreeSize <= int64(len(in.Leaves)) {
			if th, err := tlog.TreeHash(p.TreeSize, reader); err != nil || th != root {
				fail("tlog.TreeHash(%d) = %v, cart-chain says %v (%v)", p.TreeSize, th, root, err)
			}
		}
	}
	for _, p := range in.Consistency {
		if err := tlog.CheckTree(hashes(p.Proof), p.To, b64(p.NewRoot), p.From, b64(p.OldRoot)); err != nil {
			fail("CheckTree from %d to %d: %v", p.From, p.To, err)
		}
	}
	if failures > 0 {
		os.Exit(1)
	}
	fmt.Printf("ok %d\n", len(in.Inclusion)+len(in.Consistency))
}
