package targets

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// Memory layout constants.
const (
	// PageSize is the size of a WebAssembly memory page.
	PageSize = 65536
	// Align is the alignment of every buffer a kernel is given.
	Align = 16
	// Guard is the number of canary bytes before, between and after the
	// buffers: a kernel that writes outside its own buffers changes them.
	Guard = 64
	// Canary is the value of every byte outside the buffers.
	Canary = 0xA5
	// PoisonF32 is the bit pattern written into outputs and the scratch
	// area before a verification run: a quiet NaN, so that an element the
	// kernel forgets to write never matches a finite reference.
	PoisonF32 = 0x7FC00000
	// PoisonMax and PoisonMin are the poisons of programs that take
	// maxima (+Inf) or minima (-Inf) but not both: Workload.Poison.
	PoisonMax = 0x7F800000
	PoisonMin = 0xFF800000
)

// Layout places a workload's tensors and the scratch area in a kernel's
// memory. Buffers follow each other in the kernel's parameter order,
// each 16-byte aligned and Guard bytes after the previous one (the first
// at Guard); the scratch area comes last. The same layout serves every
// engine, so a kernel sees the same addresses in wazero, node and a page.
type Layout struct {
	// Tensors are the workload's inputs then outputs.
	Tensors []Tensor
	// NumInputs is how many of Tensors are inputs.
	NumInputs int
	// Offsets holds the byte offset of each tensor.
	Offsets []uint32
	// ScratchOffset is the byte offset of the scratch area.
	ScratchOffset uint32
	// ScratchBytes is the size of the scratch area, which the module
	// exports as scratch_bytes: 0 until WithScratch is called.
	ScratchBytes uint32
}

func alignUp(n uint64) uint64 { return (n + Align - 1) &^ (Align - 1) }

// NewLayout places w's tensors. It fails when they do not fit in 4 GiB.
func NewLayout(w *Workload) (Layout, error) {
	l := Layout{Tensors: w.Tensors(), NumInputs: len(w.Inputs)}
	off := uint64(Guard)
	for _, t := range l.Tensors {
		if off+uint64(t.Bytes()) > math.MaxUint32 {
			return Layout{}, fmt.Errorf("workload %q: tensors need more than 4 GiB", w.Key)
		}
		l.Offsets = append(l.Offsets, uint32(off))
		off = alignUp(off+uint64(t.Bytes())) + Guard
	}
	if off > math.MaxUint32 {
		return Layout{}, fmt.Errorf("workload %q: tensors need more than 4 GiB", w.Key)
	}
	l.ScratchOffset = uint32(off)
	return l, nil
}

// WithScratch returns l with a scratch area of n bytes.
func (l Layout) WithScratch(n uint32) Layout {
	l.ScratchBytes = n
	return l
}

// Size is the number of bytes of memory the layout needs: the buffers,
// the scratch area and a last guard after it.
func (l Layout) Size() uint64 {
	return uint64(l.ScratchOffset) + alignUp(uint64(l.ScratchBytes)) + Guard
}

// Pages is Size in 64 KiB pages, rounded up.
func (l Layout) Pages() uint64 { return (l.Size() + PageSize - 1) / PageSize }

// Args returns the kernel's arguments: each tensor's offset, then the
// scratch area's.
func (l Layout) Args() []uint32 { return append(append([]uint32(nil), l.Offsets...), l.ScratchOffset) }

// Prepare writes the memory image of a verification run into mem, which
// must hold at least Size bytes: Canary everywhere, w's inputs at their
// offsets, w's poison (Workload.PoisonBits) in every output element and
// every 4 bytes of the scratch area.
func (l Layout) Prepare(mem []byte, w *Workload) {
	fill(mem, []byte{Canary})
	for i, d := range w.InputData {
		copy(mem[l.Offsets[i]:], d)
	}
	poison := l.Poison(mem, w)
	fill(mem[l.ScratchOffset:uint64(l.ScratchOffset)+alignUp(uint64(l.ScratchBytes))], poison)
}

// Poison writes w's poison into the outputs only: before timed runs, so a
// last check after them sees what the timed calls wrote. It returns the
// poison's bytes.
func (l Layout) Poison(mem []byte, w *Workload) []byte {
	poison := binary.LittleEndian.AppendUint32(nil, w.PoisonBits())
	for i := l.NumInputs; i < len(l.Tensors); i++ {
		off := l.Offsets[i]
		fill(mem[off:off+uint32(l.Tensors[i].Bytes())], poison)
	}
	return poison
}

// fill repeats pattern over b (len(b) a multiple of len(pattern)).
func fill(b, pattern []byte) {
	if len(b) == 0 {
		return
	}
	n := copy(b, pattern)
	for n < len(b) {
		n += copy(b[n:], b[:n])
	}
}

// Verify checks mem after a run that started from Prepare's image: the
// inputs are unchanged, every byte outside the buffers and the scratch
// area still holds Canary, and every output agrees with w.Want (Compare).
// It returns None, or WrongResult and a message naming the first fault.
func (l Layout) Verify(mem []byte, w *Workload) (ErrorKind, string) {
	for i, d := range w.InputData {
		off := l.Offsets[i]
		got := mem[off : off+uint32(len(d))]
		if !bytes.Equal(got, d) {
			j := firstDiff(got, d)
			return WrongResult, fmt.Sprintf("kernel wrote into input %s%s", l.Tensors[i].Name, index(l.Tensors[i].Shape, int64(j/4)))
		}
	}
	// The gaps, in address order.
	start, before := uint64(0), ""
	check := func(end uint64, after string) string {
		if end > uint64(len(mem)) {
			end = uint64(len(mem))
		}
		if start < end {
			if j := firstNot(mem[start:end], Canary); j >= 0 {
				where := "before " + after
				switch {
				case before != "" && after != "":
					where = "between " + before + " and " + after
				case before != "":
					where = "after " + before
				}
				return fmt.Sprintf("kernel wrote outside its buffers: byte %d (%s)", start+uint64(j), where)
			}
		}
		return ""
	}
	for i, t := range l.Tensors {
		name := "output " + t.Name
		if i < l.NumInputs {
			name = "input " + t.Name
		}
		if msg := check(uint64(l.Offsets[i]), name); msg != "" {
			return WrongResult, msg
		}
		start, before = uint64(l.Offsets[i])+uint64(t.Bytes()), name
	}
	scratchEnd := uint64(l.ScratchOffset) + alignUp(uint64(l.ScratchBytes))
	if l.ScratchBytes > 0 {
		if msg := check(uint64(l.ScratchOffset), "the scratch area"); msg != "" {
			return WrongResult, msg
		}
		start, before = scratchEnd, "the scratch area"
	}
	if msg := check(uint64(len(mem)), ""); msg != "" {
		return WrongResult, msg
	}
	for i, want := range w.Want {
		t := l.Tensors[l.NumInputs+i]
		off := l.Offsets[l.NumInputs+i]
		got := Decode(t.DType, mem[off:off+uint32(t.Bytes())])
		if err := Compare(t, got, want, w.Atol, w.Rtol); err != nil {
			return WrongResult, err.Error()
		}
	}
	return None, ""
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

func firstNot(b []byte, c byte) int {
	var chunk [256]byte
	fill(chunk[:], []byte{c})
	for base := 0; base < len(b); base += len(chunk) {
		end := min(base+len(chunk), len(b))
		if bytes.Equal(b[base:end], chunk[:end-base]) {
			continue
		}
		for i := base; i < end; i++ {
			if b[i] != c {
				return i
			}
		}
	}
	return -1
}

// Decode reads little-endian elements of type dtype as float32 (an i32
// element is converted).
func Decode(dtype string, b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		u := binary.LittleEndian.Uint32(b[4*i:])
		if dtype == I32 {
			out[i] = float32(int32(u))
		} else {
			out[i] = math.Float32frombits(u)
		}
	}
	return out
}

// EncodeF32 writes float32 values as little-endian bytes, the form of
// Workload.InputData.
func EncodeF32(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// EncodeI32 writes int32 values as little-endian bytes.
func EncodeI32(v []int32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
	}
	return b
}

// Agree reports whether got agrees with the reference want:
// |got-want| <= atol + rtol*|want|; NaN agrees only with NaN and an
// infinity only with itself.
func Agree(got, want float32, atol, rtol float64) bool {
	g, w := float64(got), float64(want)
	switch {
	case math.IsNaN(w) || math.IsNaN(g):
		return math.IsNaN(w) && math.IsNaN(g)
	case g == w:
		return true
	case math.IsInf(w, 0) || math.IsInf(g, 0):
		return false
	}
	return math.Abs(g-w) <= atol+rtol*math.Abs(w)
}

// Compare checks an output against its reference element by element
// (Agree) and returns nil or an error naming the first element that
// differs and how many do, such as
//
//	output C[3, 5]: got 1.5, want 2 (|diff| 0.5 > tolerance 1.2e-05); 37 of 1024 elements differ
func Compare(t Tensor, got, want []float32, atol, rtol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("output %s: %d elements, want %d", t.Name, len(got), len(want))
	}
	first, bad := -1, 0
	for i := range got {
		if !Agree(got[i], want[i], atol, rtol) {
			if first < 0 {
				first = i
			}
			bad++
		}
	}
	if bad == 0 {
		return nil
	}
	g, w := got[first], want[first]
	why := ""
	if !math.IsNaN(float64(g)) && !math.IsNaN(float64(w)) && !math.IsInf(float64(g), 0) && !math.IsInf(float64(w), 0) {
		why = fmt.Sprintf(" (|diff| %.3g > tolerance %.3g)", math.Abs(float64(g)-float64(w)), atol+rtol*math.Abs(float64(w)))
	}
	return fmt.Errorf("output %s%s: got %v, want %v%s; %d of %d elements differ",
		t.Name, index(t.Shape, int64(first)), g, w, why, bad, len(got))
}

// index writes flat element i of a row-major array of the given shape as
// [i0, i1, ...].
func index(shape []int64, i int64) string {
	if len(shape) == 0 {
		return ""
	}
	idx := make([]string, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		idx[d] = fmt.Sprint(i % shape[d])
		i /= shape[d]
	}
	return "[" + strings.Join(idx, ", ") + "]"
}
