package main

import (
	"io"
	"os"
	"testing"
)

func TestZZProf(t *testing.T) {
	out := os.Getenv("ZZ_OUT")
	if out == "" {
		t.Skip()
	}
	for i := 0; i < 5; i++ {
		if rc := run([]string{"build", "-q", os.Getenv("ZZ_FLEET"), "-o", out}, io.Discard, os.Stderr); rc != 0 {
			t.Fatal(rc)
		}
	}
}
