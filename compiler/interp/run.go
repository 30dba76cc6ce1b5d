package interp

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/te"
)

// DefaultMaxSteps is the step budget when Options.MaxSteps is zero: a few
// seconds of interpretation, far more than the small shapes of tests need.
const DefaultMaxSteps = 1 << 27

// maxAlloc bounds the elements of one Alloc.
const maxAlloc = 1 << 28

// DefaultMaxBytes is the memory budget when Options.MaxBytes is zero.
const DefaultMaxBytes = 1 << 30

// Options tune Run, Eval and Check. The zero value is the default.
type Options struct {
	// MaxSteps bounds the steps of one run (Run: loop iterations, stores,
	// ifs and lets; Eval: elements and reduction steps); 0 means
	// DefaultMaxSteps and a negative value means no limit.
	MaxSteps int64
	// MaxBytes bounds the memory of the tensors one Eval or Check makes,
	// checked before anything is allocated; 0 means DefaultMaxBytes and a
	// negative value means no limit but int64's.
	MaxBytes int64
	// Poison is the bit pattern of the f32 poison that fills outputs
	// (Check) and allocations (Run); 0 means NaN. Check uses PoisonFor
	// of its DAG when it is 0.
	Poison uint32
}

// poison is the f32 poison of o.
func (o Options) poison() float32 {
	if o.Poison == 0 {
		return float32(math.NaN())
	}
	return math.Float32frombits(o.Poison)
}

func (o Options) maxBytes() int64 {
	if o.MaxBytes == 0 {
		return DefaultMaxBytes
	}
	return o.MaxBytes
}

// CheckSizes checks that the tensors of d fit in the memory budget, before
// Eval, Check or RandomInputs allocate them. The error wraps ErrMemoryLimit
// and gives the size and the limit.
func (o Options) CheckSizes(d *te.DAG) error {
	if err := te.CheckBytes(d.Tensors, o.maxBytes(), "the interpreter's budget"); err != nil {
		return fmt.Errorf("interp: %w: %v", ErrMemoryLimit, err)
	}
	return nil
}

// checkParams checks that the buffers of f's parameters, as Check lays
// them out, fit in the memory budget.
func (o Options) checkParams(f *ir.Func) error {
	var total int64
	for _, p := range f.Params {
		n, ok := bufferElems(p)
		if !ok || total > math.MaxInt64/te.ElemBytes-n {
			return fmt.Errorf("interp: %w: parameter %s has more elements than an int64 counts", ErrMemoryLimit, p.Name)
		}
		total += n
	}
	if limit := o.maxBytes(); limit >= 0 && total*te.ElemBytes > limit {
		return fmt.Errorf("interp: %w: the parameters of %s need %s; the interpreter's budget holds %s",
			ErrMemoryLimit, f.Name, te.FormatBytes(total*te.ElemBytes), te.FormatBytes(limit))
	}
	return nil
}

// bufferElems is b.Elems(), or ok false when it overflows an int64.
func bufferElems(b *ir.Buffer) (int64, bool) {
	if _, ok := te.Elements(b.Shape); !ok {
		return 0, false
	}
	st := b.EffectiveStrides()
	n := big.NewInt(1)
	for i, d := range b.Shape {
		if d <= 0 || i >= len(st) {
			return 0, false
		}
		n.Add(n, new(big.Int).Mul(big.NewInt(d-1), big.NewInt(st[i])))
	}
	if !n.IsInt64() || n.Sign() < 0 {
		return 0, false
	}
	return n.Int64(), true
}

func (o Options) limit() int64 {
	switch {
	case o.MaxSteps == 0:
		return DefaultMaxSteps
	case o.MaxSteps < 0:
		return math.MaxInt64
	}
	return o.MaxSteps
}

// Run interprets f with the default options; see Options.Run.
func Run(f *ir.Func, args []Data) error { return Options{}.Run(f, args) }

// Run interprets f. args holds the memory of f.Params in order (inputs,
// then the f.Outputs outputs), each laid out by its buffer's
// EffectiveStrides with exactly Elems() elements. Outputs are written in
// place and not cleared first (pass PoisonData to make unwritten elements
// show, as Check does); inputs are never written (a store to one is an
// error before the run). The error, if any, is the first problem found: an ill-formed
// function, an out-of-bounds access, a division by zero or the step budget.
func (o Options) Run(f *ir.Func, args []Data) (err error) {
	defer recoverError(&err)
	if f == nil {
		return errors.New("interp: nil function")
	}
	p, err := compileFunc(f)
	if err != nil {
		return fmt.Errorf("interp: %s: %w", f.Name, err)
	}
	if len(args) != len(f.Params) {
		return fmt.Errorf("interp: %s takes %d buffers, got %d", f.Name, len(f.Params), len(args))
	}
	fr := &frame{
		ints:   make([]int64, max(p.nints, 1)), // slot 0 exists for dimIndex
		f32:    make([][]float32, p.nbufs),
		i32:    make([][]int32, p.nbufs),
		limit:  o.limit(),
		poison: o.poison(),
	}
	for i, b := range f.Params {
		if err := args[i].check("interp: parameter "+b.Name, b.DType, b.Elems()); err != nil {
			return err
		}
		fr.f32[i], fr.i32[i] = args[i].F32, args[i].I32
	}
	p.body(fr)
	return fr.err
}

// recoverError turns a panic into an error: a bug in this package, or a
// malformed tree that compilation did not catch, must not crash a test run.
func recoverError(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("interp: internal error: %v", r)
	}
}

// program is a compiled function.
type program struct {
	body         func(*frame)
	nints, nbufs int
}

// funcCompiler compiles the statements of a Func.
type funcCompiler struct {
	compiler
	bufs     map[*ir.Buffer]*source // in scope
	readonly map[*ir.Buffer]bool    // input parameters
	nbufs    int
}

func compileFunc(f *ir.Func) (*program, error) {
	if f.Outputs < 0 || f.Outputs > len(f.Params) {
		return nil, fmt.Errorf("%d outputs among %d parameters", f.Outputs, len(f.Params))
	}
	fc := &funcCompiler{
		bufs:     map[*ir.Buffer]*source{},
		readonly: map[*ir.Buffer]bool{},
	}
	fc.vars = map[*expr.Var]int{}
	fc.resolve = func(s expr.Source) (*source, error) {
		b, ok := s.(*ir.Buffer)
		if !ok {
			return nil, fmt.Errorf("reads %s (%T), which is not a buffer", s.SourceName(), s)
		}
		src, ok := fc.bufs[b]
		if !ok {
			return nil, fmt.Errorf("reads buffer %s, which is not in scope", b.Name)
		}
		return src, nil
	}
	for i, b := range f.Params {
		if b == nil {
			return nil, fmt.Errorf("parameter %d is nil", i)
		}
		if _, dup := fc.bufs[b]; dup {
			return nil, fmt.Errorf("buffer %s is a parameter twice", b.Name)
		}
		src, err := fc.newSource(b)
		if err != nil {
			return nil, err
		}
		fc.bufs[b] = src
		if i < len(f.Params)-f.Outputs {
			fc.readonly[b] = true
		}
	}
	body, err := fc.stmt(f.Body)
	if err != nil {
		return nil, err
	}
	return &program{body: body, nints: fc.nints, nbufs: fc.nbufs}, nil
}

// newSource gives buffer b the next memory slot.
func (fc *funcCompiler) newSource(b *ir.Buffer) (*source, error) {
	if b.DType != expr.Float && b.DType != expr.Int {
		return nil, fmt.Errorf("buffer %s holds %s elements; only f32 and i32 are supported", b.Name, b.DType)
	}
	st := b.EffectiveStrides()
	if err := checkLayout("buffer "+b.Name, b.Shape, st); err != nil {
		return nil, err
	}
	src := &source{name: b.Name, slot: fc.nbufs, dtype: b.DType, shape: b.Shape, strides: st}
	fc.nbufs++
	return src, nil
}

func (fc *funcCompiler) stmt(s ir.Stmt) (func(*frame), error) {
	switch n := s.(type) {
	case nil:
		return func(*frame) {}, nil
	case *ir.Seq:
		list := make([]func(*frame), 0, len(n.Stmts))
		for _, c := range n.Stmts {
			f, err := fc.stmt(c)
			if err != nil {
				return nil, err
			}
			list = append(list, f)
		}
		return func(fr *frame) {
			for _, f := range list {
				f(fr)
				if fr.err != nil {
					return
				}
			}
		}, nil
	case *ir.For:
		if n.Var == nil {
			return nil, errors.New("a loop without a variable")
		}
		slot, unbind := fc.bind(n.Var)
		body, err := fc.stmt(n.Body)
		unbind()
		if err != nil {
			return nil, err
		}
		ext := n.Extent
		return func(fr *frame) {
			for v := int64(0); v < ext; v++ {
				fr.ints[slot] = v
				if !fr.step() {
					return
				}
				body(fr)
				if fr.err != nil {
					return
				}
			}
		}, nil
	case *ir.Store:
		if n.Buf == nil {
			return nil, errors.New("a store without a buffer")
		}
		fc.at(func() string { return stmtText(n) })
		src, ok := fc.bufs[n.Buf]
		if !ok {
			return nil, fmt.Errorf("stores to buffer %s, which is not in scope: %s", n.Buf.Name, stmtText(n))
		}
		if fc.readonly[n.Buf] {
			return nil, fmt.Errorf("stores to input buffer %s: %s", n.Buf.Name, stmtText(n))
		}
		store, err := fc.storeFn(src, n.Index, n.Value)
		if err != nil {
			return nil, fmt.Errorf("%w: %s", err, stmtText(n))
		}
		return store, nil
	case *ir.Alloc:
		return fc.alloc(n)
	case *ir.If:
		fc.at(func() string { return "if (" + expr.String(n.Cond) + ")" })
		cond, err := fc.boolExpr(n.Cond)
		if err != nil {
			return nil, fmt.Errorf("if condition: %w", err)
		}
		then, err := fc.stmt(n.Then)
		if err != nil {
			return nil, err
		}
		els, err := fc.stmt(n.Else)
		if err != nil {
			return nil, err
		}
		return func(fr *frame) {
			if !fr.step() {
				return
			}
			c := cond(fr)
			switch {
			case fr.err != nil:
			case c:
				then(fr)
			default:
				els(fr)
			}
		}, nil
	case *ir.Let:
		if n.Var == nil {
			return nil, errors.New("a let without a variable")
		}
		fc.at(func() string { return "let " + n.Var.Name + " = " + expr.String(n.Value) })
		val, err := fc.intExpr(n.Value)
		if err != nil {
			return nil, fmt.Errorf("let %s: %w", n.Var.Name, err)
		}
		slot, unbind := fc.bind(n.Var)
		body, err := fc.stmt(n.Body)
		unbind()
		if err != nil {
			return nil, err
		}
		return func(fr *frame) {
			if !fr.step() {
				return
			}
			v := val(fr)
			if fr.err != nil {
				return
			}
			fr.ints[slot] = v
			body(fr)
		}, nil
	}
	return nil, fmt.Errorf("unknown statement %T", s)
}

func (fc *funcCompiler) alloc(n *ir.Alloc) (func(*frame), error) {
	b := n.Buf
	if b == nil {
		return nil, errors.New("an allocation without a buffer")
	}
	src, err := fc.newSource(b)
	if err != nil {
		return nil, err
	}
	if b.Elems() > maxAlloc {
		return nil, fmt.Errorf("allocation of %s: %d elements is more than the interpreter's limit of %d", b.Name, b.Elems(), maxAlloc)
	}
	old, had := fc.bufs[b]
	oldRO := fc.readonly[b]
	fc.bufs[b] = src
	delete(fc.readonly, b)
	body, err := fc.stmt(n.Body)
	if had {
		fc.bufs[b], fc.readonly[b] = old, oldRO
	} else {
		delete(fc.bufs, b)
	}
	if err != nil {
		return nil, err
	}
	slot, dtype, elems := src.slot, b.DType, int(b.Elems())
	// The memory is reused by later entries of the same Alloc (it is
	// re-poisoned each time), so an allocation in a loop does not churn.
	var mem Data
	return func(fr *frame) {
		if mem.Len() == 0 {
			mem = NewData(dtype, elems)
		}
		mem.PoisonWith(fr.poison)
		fr.f32[slot], fr.i32[slot] = mem.F32, mem.I32
		body(fr)
		fr.f32[slot], fr.i32[slot] = nil, nil
	}, nil
}

// stmtText prints a statement on one line for error messages.
func stmtText(s ir.Stmt) string { return strings.TrimSpace(ir.StmtString(s)) }
