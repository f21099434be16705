//go:build unix

package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	unixCmds["snapshot"] = cmdSnapshot
	unixCmds["changed"] = cmdChanged
	unixCmds["sametree"] = cmdSameTree
}

// snapshot is a bundle's files: content digest, mode and inode by path.
type snapshot map[string]string

func takeSnapshot(ts *testscript.TestScript, dir string) snapshot {
	s := snapshot{}
	root := ts.MkAbs(dir)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		ino := uint64(0)
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			ino = sys.Ino
		}
		s[filepath.ToSlash(rel)] = fmt.Sprintf("%x %v %d", sha256.Sum256(data), st.Mode(), ino)
		return nil
	})
	ts.Check(err)
	return s
}

// cmdSnapshot records a folder's files: snapshot DIR NAME.
func cmdSnapshot(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: snapshot DIR NAME")
	}
	snapshots[ts.Getenv("WORK")+"\x00"+args[1]] = takeSnapshot(ts, args[0])
}

var snapshots = map[string]snapshot{}

// cmdChanged prints, one a line, how each file of DIR differs from the
// snapshot NAME: "content PATH" (other bytes or mode), "rewritten PATH" (same
// bytes, new inode: written again), "added PATH", "removed PATH".
func cmdChanged(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: changed NAME DIR")
	}
	old, ok := snapshots[ts.Getenv("WORK")+"\x00"+args[0]]
	if !ok {
		ts.Fatalf("no snapshot %s", args[0])
	}
	cur := takeSnapshot(ts, args[1])
	var lines []string
	for p, o := range old {
		n, ok := cur[p]
		switch {
		case !ok:
			lines = append(lines, "removed "+p)
		case o[:strings.LastIndexByte(o, ' ')] != n[:strings.LastIndexByte(n, ' ')]:
			lines = append(lines, "content "+p)
		case o != n:
			lines = append(lines, "rewritten "+p)
		}
	}
	for p := range cur {
		if _, ok := old[p]; !ok {
			lines = append(lines, "added "+p)
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Fprintln(ts.Stdout(), l)
	}
}

// cmdSameTree compares two folders file by file, byte by byte and mode by
// mode, like cmp on every file: sametree A B.
func cmdSameTree(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: sametree A B")
	}
	a, b := takeSnapshot(ts, args[0]), takeSnapshot(ts, args[1])
	var diffs []string
	for p, x := range a {
		y, ok := b[p]
		if !ok || x[:strings.LastIndexByte(x, ' ')] != y[:strings.LastIndexByte(y, ' ')] {
			diffs = append(diffs, p)
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			diffs = append(diffs, p)
		}
	}
	sort.Strings(diffs)
	if neg {
		if len(diffs) == 0 {
			ts.Fatalf("%s and %s are the same", args[0], args[1])
		}
		return
	}
	if len(diffs) > 0 {
		ts.Fatalf("%s and %s differ: %s", args[0], args[1], strings.Join(diffs, ", "))
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%d files identical", len(a))
	ts.Logf("%s", buf.String())
}
