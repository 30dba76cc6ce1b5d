package targets

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

func TestLayout(t *testing.T) {
	w := testWorkload()
	l, err := NewLayout(w)
	if err != nil {
		t.Fatal(err)
	}
	// A: 12 bytes at 64; I: 16 bytes at 64+16+64; C: 24 bytes after.
	want := []uint32{64, 144, 224}
	for i, o := range l.Offsets {
		if o != want[i] || o%Align != 0 {
			t.Errorf("offset %d = %d, want %d", i, o, want[i])
		}
	}
	if l.ScratchOffset != 224+32+64 {
		t.Errorf("scratch at %d", l.ScratchOffset)
	}
	l = l.WithScratch(100)
	if l.Size() != uint64(l.ScratchOffset)+112+Guard || l.Pages() != 1 {
		t.Errorf("size %d pages %d", l.Size(), l.Pages())
	}
	if got := l.Args(); len(got) != 4 || got[3] != l.ScratchOffset {
		t.Errorf("args %v", got)
	}
}

// run simulates a kernel on Prepare's image: edit changes the memory.
func run(t *testing.T, edit func(mem []byte, l Layout)) (ErrorKind, string) {
	t.Helper()
	w := testWorkload()
	l, _ := NewLayout(w)
	l = l.WithScratch(40)
	mem := make([]byte, l.Pages()*PageSize)
	l.Prepare(mem, w)
	for i, o := range l.Offsets {
		if i < 2 && string(mem[o:o+uint32(len(w.InputData[i]))]) != string(w.InputData[i]) {
			t.Fatal("inputs not written")
		}
	}
	c := l.Offsets[2]
	if binary.LittleEndian.Uint32(mem[c:]) != PoisonF32 || binary.LittleEndian.Uint32(mem[l.ScratchOffset+36:]) != PoisonF32 {
		t.Fatal("outputs or scratch not poisoned")
	}
	if mem[0] != Canary || mem[len(mem)-1] != Canary || mem[c-1] != Canary {
		t.Fatal("no canary")
	}
	edit(mem, l)
	return l.Verify(mem, w)
}

func writeC(mem []byte, l Layout, v []float32) { copy(mem[l.Offsets[2]:], EncodeF32(v)) }

func TestVerify(t *testing.T) {
	good := []float32{1, 2, 3, 4, 5, 6}
	for _, c := range []struct {
		name string
		edit func(mem []byte, l Layout)
		kind ErrorKind
		msg  string
	}{
		{"right", func(mem []byte, l Layout) { writeC(mem, l, good) }, None, ""},
		{"scratch used", func(mem []byte, l Layout) {
			writeC(mem, l, good)
			mem[l.ScratchOffset+47] = 1 // padding of the scratch area
		}, None, ""},
		{"within tolerance", func(mem []byte, l Layout) { writeC(mem, l, []float32{1, 2, 3, 4, 5, 6.00001}) }, None, ""},
		{"not written", func(mem []byte, l Layout) { writeC(mem, l, good[:4]) }, WrongResult, "output C[1, 1]: got NaN, want 5; 2 of 6 elements differ"},
		{"wrong", func(mem []byte, l Layout) { writeC(mem, l, []float32{1, 2, 3, 4, 5, 7}) }, WrongResult, "output C[1, 2]: got 7, want 6 (|diff| 1 > tolerance 6.1e-05)"},
		{"input", func(mem []byte, l Layout) { writeC(mem, l, good); mem[l.Offsets[1]+13] = 9 }, WrongResult, "kernel wrote into input I[1, 1]"},
		{"before", func(mem []byte, l Layout) { writeC(mem, l, good); mem[3] = 0 }, WrongResult, "byte 3 (before input A)"},
		{"between", func(mem []byte, l Layout) { writeC(mem, l, good); mem[l.Offsets[1]-1] = 0 }, WrongResult, "(between input A and input I)"},
		{"after C", func(mem []byte, l Layout) { writeC(mem, l, good); mem[l.Offsets[2]+24] = 0 }, WrongResult, "(between output C and the scratch area)"},
		{"after scratch", func(mem []byte, l Layout) { writeC(mem, l, good); mem[len(mem)-1] = 0 }, WrongResult, "(after the scratch area)"},
	} {
		kind, msg := run(t, c.edit)
		if kind != c.kind || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: %v %q, want %v %q", c.name, kind, msg, c.kind, c.msg)
		}
	}
}

func TestAgree(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, c := range []struct {
		g, w float32
		ok   bool
	}{
		{1, 1, true}, {1.00001, 1, true}, {1.001, 1, false}, {0, 1e-7, true},
		{nan, nan, true}, {nan, 1, false}, {1, nan, false},
		{inf, inf, true}, {-inf, inf, false}, {1e30, inf, false}, {inf, 1e30, false},
	} {
		if got := Agree(c.g, c.w, 1e-6, 1e-5); got != c.ok {
			t.Errorf("Agree(%v, %v) = %v", c.g, c.w, got)
		}
	}
}

func TestDecode(t *testing.T) {
	got := Decode(I32, EncodeI32([]int32{-3, 7}))
	if got[0] != -3 || got[1] != 7 {
		t.Errorf("%v", got)
	}
	if err := Compare(Tensor{Name: "S"}, []float32{2}, []float32{1}, 0, 0); err == nil || !strings.HasPrefix(err.Error(), "output S: got 2, want 1") {
		t.Errorf("scalar: %v", err)
	}
}
