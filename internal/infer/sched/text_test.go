package sched

import (
	"testing"

	"github.com/muaibench/muaibench/internal/infer/sched/schedtest"
)

func TestTextHoldsBackSplitCharacters(t *testing.T) {
	t.Parallel()
	// "é" is C3 A9, "€" is E2 82 AC: feed them a byte at a time.
	in := []byte("aé€b")
	ts := newTextState(schedtest.Tokenizer{}.TokenBytes, nil)
	var got []string
	for _, c := range in {
		text, _ := ts.add(int(c), true)
		got = append(got, text)
	}
	want := []string{"a", "", "é", "", "", "€", "b"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("step %d: got %q, want %q (all %q)", i, got[i], want[i], got)
		}
	}
}

func TestTextStopStraddlesTokens(t *testing.T) {
	t.Parallel()
	ts := newTextState(func(id int) []byte { return []byte([]string{"ab", "cd", "ef"}[id]) }, []string{"bcd"})
	var out string
	for id := range 3 {
		text, stopped := ts.add(id, true)
		out += text
		if stopped {
			if out != "a" {
				t.Errorf("got %q, want %q", out, "a")
			}
			return
		}
	}
	t.Fatal("stop string across tokens not found")
}

func TestTextFlushReleasesIncomplete(t *testing.T) {
	t.Parallel()
	ts := newTextState(schedtest.Tokenizer{}.TokenBytes, []string{"zz"})
	a, _ := ts.add(0xE2, true)
	b, _ := ts.add('z', true)
	if a != "" || b != "" {
		t.Fatalf("got %q, %q; want both held back", a, b)
	}
	if got := ts.flush(); got != "\xe2z" {
		t.Errorf("flush: got %q, want %q", got, "\xe2z")
	}
}
