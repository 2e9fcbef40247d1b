package testenv

import (
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	start := time.Unix(1700000000, 0)
	c := NewClock(start)
	if !c.Now().Equal(start) {
		t.Fatalf("Now = %v, want %v", c.Now(), start)
	}
	c.Advance(time.Hour)
	if got := c.Now().Sub(start); got != time.Hour {
		t.Fatalf("after Advance(1h): %v past start", got)
	}
	r := RealClock()
	before := time.Now()
	r.Advance(24 * time.Hour)
	if d := r.Now().Sub(before); d < 24*time.Hour || d > 25*time.Hour {
		t.Fatalf("RealClock after Advance(24h) is %v ahead", d)
	}
}

func TestStartPeer(t *testing.T) {
	// A shell peer that announces a port and waits for stdin to close.
	url := StartPeer(t, "/bin/sh", "-c", "echo READY 4242; cat >/dev/null")
	if url != "http://127.0.0.1:4242" {
		t.Fatalf("url = %q", url)
	}
}

func TestEnv(t *testing.T) {
	t.Setenv("TESTENV_X", "")
	if Env("TESTENV_X", "d") != "d" {
		t.Fatal("unset variable: default not returned")
	}
	t.Setenv("TESTENV_X", "v")
	if Env("TESTENV_X", "d") != "v" {
		t.Fatal("set variable not returned")
	}
}
