package interp

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tabtune/tabtune/compiler/expr"
)

// Errors found while running wrap one of these, so callers can tell them
// apart with errors.Is.
var (
	// ErrOutOfBounds: a load or store outside its buffer's shape.
	ErrOutOfBounds = errors.New("out-of-bounds access")
	// ErrDivByZero: an integer FloorDiv or FloorMod by zero.
	ErrDivByZero = errors.New("integer division by zero")
	// ErrOverflow: an Int value stored into an i32 element does not fit.
	ErrOverflow = errors.New("value does not fit in i32")
	// ErrStepLimit: the program ran past Options.MaxSteps.
	ErrStepLimit = errors.New("step budget exhausted")
	// ErrMemoryLimit: the tensors need more memory than Options.MaxBytes.
	ErrMemoryLimit = errors.New("memory budget exceeded")
)

// frame is the state of one run: variable slots, the memory of the
// buffers in scope (by slot), the first error and the step count.
type frame struct {
	ints  []int64
	f32   [][]float32
	i32   [][]int32
	err   error
	steps int64
	limit int64
	// poison fills f32 memory each time an Alloc is entered.
	poison float32
}

// fail records err unless an earlier error is recorded.
func (fr *frame) fail(err error) {
	if fr.err == nil {
		fr.err = err
	}
}

// step counts one step and reports whether the budget allows it.
func (fr *frame) step() bool {
	fr.steps++
	if fr.steps > fr.limit {
		fr.overBudget()
		return false
	}
	return true
}

// overBudget records the step budget error; step stays small enough to
// be inlined.
func (fr *frame) overBudget() {
	fr.fail(fmt.Errorf("interp: %w: more than %d steps", ErrStepLimit, fr.limit))
}

type (
	intFn   func(*frame) int64
	floatFn func(*frame) float32
	boolFn  func(*frame) bool
)

// source is a buffer or tensor as the compiled code sees it.
type source struct {
	name    string
	slot    int
	dtype   expr.Type
	shape   []int64
	strides []int64
}

// boundVar is a variable in scope, for error messages.
type boundVar struct {
	name string
	slot int
}

// site is where a run-time error happens: the statement (printed lazily)
// and the variables in scope.
type site struct {
	text func() string
	vars []boundVar
}

// describe renders the variable values and the statement.
func (s *site) describe(fr *frame) string {
	var b strings.Builder
	if len(s.vars) > 0 {
		b.WriteString(" at ")
		for i, v := range s.vars {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(v.name)
			b.WriteByte('=')
			b.WriteString(strconv.FormatInt(fr.ints[v.slot], 10))
		}
	}
	if s.text != nil {
		b.WriteString(" in `")
		b.WriteString(strings.TrimSpace(s.text()))
		b.WriteByte('`')
	}
	return b.String()
}

// compiler turns expressions into closures. vars maps the variables in
// scope to their slots; resolve finds the source a load reads.
type compiler struct {
	vars    map[*expr.Var]int
	bound   []boundVar
	nints   int
	resolve func(expr.Source) (*source, error)
	site    *site
}

// bind gives v a fresh slot until the returned function is called.
func (c *compiler) bind(v *expr.Var) (slot int, unbind func()) {
	slot = c.nints
	c.nints++
	old, had := c.vars[v]
	c.vars[v] = slot
	c.bound = append(c.bound, boundVar{v.Name, slot})
	return slot, func() {
		c.bound = c.bound[:len(c.bound)-1]
		if had {
			c.vars[v] = old
		} else {
			delete(c.vars, v)
		}
	}
}

// at makes the site of the statements compiled next.
func (c *compiler) at(text func() string) {
	c.site = &site{text: text, vars: append([]boundVar(nil), c.bound...)}
}

// typeOf is e.Type() without panicking on malformed trees.
func typeOf(e expr.Expr) (expr.Type, error) {
	switch n := e.(type) {
	case nil:
		return 0, errors.New("missing expression")
	case *expr.Binary:
		if n.A == nil || n.B == nil {
			return 0, fmt.Errorf("operator %s is missing an operand", n.Op)
		}
		if n.Op.IsCompare() || n.Op.IsLogic() {
			return expr.Bool, nil
		}
		return typeOf(n.A)
	case *expr.Select:
		return typeOf(n.T)
	case *expr.Load:
		if n.Src == nil {
			return 0, errors.New("load without a source")
		}
	case *expr.Not:
		return expr.Bool, nil
	}
	return e.Type(), nil
}

func typeErr(e expr.Expr, got, want expr.Type) error {
	return fmt.Errorf("%s is %s where %s is expected", expr.String(e), got, want)
}

// intExpr compiles an Int expression.
func (c *compiler) intExpr(e expr.Expr) (intFn, error) {
	t, err := typeOf(e)
	if err != nil {
		return nil, err
	}
	if t != expr.Int {
		return nil, typeErr(e, t, expr.Int)
	}
	switch n := e.(type) {
	case *expr.IntImm:
		v := n.V
		return func(*frame) int64 { return v }, nil
	case *expr.Var:
		slot, ok := c.vars[n]
		if !ok {
			return nil, fmt.Errorf("variable %s is not bound here", n.Name)
		}
		return func(fr *frame) int64 { return fr.ints[slot] }, nil
	case *expr.Binary:
		return c.intBinary(n)
	case *expr.Select:
		cond, err := c.boolExpr(n.Cond)
		if err != nil {
			return nil, err
		}
		a, err := c.intExpr(n.T)
		if err != nil {
			return nil, err
		}
		b, err := c.intExpr(n.F)
		if err != nil {
			return nil, err
		}
		return func(fr *frame) int64 {
			if cond(fr) {
				return a(fr)
			}
			return b(fr)
		}, nil
	case *expr.Cast:
		from, err := typeOf(n.A)
		if err != nil {
			return nil, err
		}
		switch from {
		case expr.Int:
			return c.intExpr(n.A)
		case expr.Float:
			a, err := c.floatExpr(n.A)
			if err != nil {
				return nil, err
			}
			return func(fr *frame) int64 { return floatToInt(a(fr)) }, nil
		case expr.Bool:
			a, err := c.boolExpr(n.A)
			if err != nil {
				return nil, err
			}
			return func(fr *frame) int64 {
				if a(fr) {
					return 1
				}
				return 0
			}, nil
		}
		return nil, fmt.Errorf("cannot cast %s to i32", from)
	case *expr.Load:
		return c.intLoad(n)
	}
	return nil, fmt.Errorf("cannot evaluate %T %s as i32", e, expr.String(e))
}

// floatToInt truncates toward zero, saturating; NaN becomes MinInt64.
func floatToInt(f float32) int64 {
	switch {
	case f != f:
		return math.MinInt64
	case f >= 0x1p63:
		return math.MaxInt64
	case f < -0x1p63:
		return math.MinInt64
	}
	return int64(f)
}

func (c *compiler) intBinary(n *expr.Binary) (intFn, error) {
	a, err := c.intExpr(n.A)
	if err != nil {
		return nil, err
	}
	b, err := c.intExpr(n.B)
	if err != nil {
		return nil, err
	}
	// Common shapes of index arithmetic get a closure that skips a call.
	if k, ok := n.B.(*expr.IntImm); ok {
		v := k.V
		switch n.Op {
		case expr.Add:
			return func(fr *frame) int64 { return a(fr) + v }, nil
		case expr.Mul:
			return func(fr *frame) int64 { return a(fr) * v }, nil
		case expr.FloorDiv:
			if v > 0 {
				return func(fr *frame) int64 { return expr.FloorDivInt(a(fr), v) }, nil
			}
		case expr.FloorMod:
			if v > 0 {
				return func(fr *frame) int64 { return expr.FloorModInt(a(fr), v) }, nil
			}
		}
	}
	site := c.site
	switch n.Op {
	case expr.Add:
		return func(fr *frame) int64 { return a(fr) + b(fr) }, nil
	case expr.Sub:
		return func(fr *frame) int64 { return a(fr) - b(fr) }, nil
	case expr.Mul:
		return func(fr *frame) int64 { return a(fr) * b(fr) }, nil
	case expr.FloorDiv, expr.FloorMod:
		mod := n.Op == expr.FloorMod
		return func(fr *frame) int64 {
			x, y := a(fr), b(fr)
			if y == 0 {
				if fr.err == nil {
					fr.fail(fmt.Errorf("interp: %w: %s with %s = 0%s", ErrDivByZero, expr.String(n), expr.String(n.B), site.describe(fr)))
				}
				return 0
			}
			if mod {
				return expr.FloorModInt(x, y)
			}
			return expr.FloorDivInt(x, y)
		}, nil
	case expr.Min:
		return func(fr *frame) int64 { return min(a(fr), b(fr)) }, nil
	case expr.Max:
		return func(fr *frame) int64 { return max(a(fr), b(fr)) }, nil
	case expr.Div:
		return nil, fmt.Errorf("%s: / divides floats; integer division is //", expr.String(n))
	}
	return nil, fmt.Errorf("%s: operator %s does not apply to i32", expr.String(n), n.Op)
}

// floatExpr compiles a Float expression.
func (c *compiler) floatExpr(e expr.Expr) (floatFn, error) {
	t, err := typeOf(e)
	if err != nil {
		return nil, err
	}
	if t != expr.Float {
		return nil, typeErr(e, t, expr.Float)
	}
	switch n := e.(type) {
	case *expr.FloatImm:
		v := n.V
		return func(*frame) float32 { return v }, nil
	case *expr.Binary:
		return c.floatBinary(n)
	case *expr.Select:
		cond, err := c.boolExpr(n.Cond)
		if err != nil {
			return nil, err
		}
		a, err := c.floatExpr(n.T)
		if err != nil {
			return nil, err
		}
		b, err := c.floatExpr(n.F)
		if err != nil {
			return nil, err
		}
		return func(fr *frame) float32 {
			if cond(fr) {
				return a(fr)
			}
			return b(fr)
		}, nil
	case *expr.Cast:
		from, err := typeOf(n.A)
		if err != nil {
			return nil, err
		}
		switch from {
		case expr.Float:
			return c.floatExpr(n.A)
		case expr.Int:
			a, err := c.intExpr(n.A)
			if err != nil {
				return nil, err
			}
			return func(fr *frame) float32 { return float32(a(fr)) }, nil
		case expr.Bool:
			a, err := c.boolExpr(n.A)
			if err != nil {
				return nil, err
			}
			return func(fr *frame) float32 {
				if a(fr) {
					return 1
				}
				return 0
			}, nil
		}
		return nil, fmt.Errorf("cannot cast %s to f32", from)
	case *expr.Call:
		return c.call(n)
	case *expr.Load:
		return c.floatLoad(n)
	}
	return nil, fmt.Errorf("cannot evaluate %T %s as f32", e, expr.String(e))
}

// combineFloat applies a float operator; each result is rounded to f32.
// Eval's reductions fold with it too, so a Sum reduction and its lowered
// acc = acc + v agree bit for bit in the same order.
func combineFloat(op expr.Op, x, y float32) float32 {
	switch op {
	case expr.Add:
		return float32(x + y)
	case expr.Sub:
		return float32(x - y)
	case expr.Mul:
		return float32(x * y)
	case expr.Div:
		return float32(x / y)
	case expr.Min:
		return expr.MinF32(x, y)
	case expr.Max:
		return expr.MaxF32(x, y)
	}
	panic("interp: combineFloat: " + op.String())
}

func (c *compiler) floatBinary(n *expr.Binary) (floatFn, error) {
	a, err := c.floatExpr(n.A)
	if err != nil {
		return nil, err
	}
	b, err := c.floatExpr(n.B)
	if err != nil {
		return nil, err
	}
	switch n.Op {
	case expr.Add:
		return func(fr *frame) float32 { return float32(a(fr) + b(fr)) }, nil
	case expr.Sub:
		return func(fr *frame) float32 { return float32(a(fr) - b(fr)) }, nil
	case expr.Mul:
		return func(fr *frame) float32 { return float32(a(fr) * b(fr)) }, nil
	case expr.Div:
		return func(fr *frame) float32 { return float32(a(fr) / b(fr)) }, nil
	case expr.Min:
		return func(fr *frame) float32 { return expr.MinF32(a(fr), b(fr)) }, nil
	case expr.Max:
		return func(fr *frame) float32 { return expr.MaxF32(a(fr), b(fr)) }, nil
	}
	return nil, fmt.Errorf("%s: operator %s does not apply to f32", expr.String(n), n.Op)
}

func (c *compiler) call(n *expr.Call) (floatFn, error) {
	if len(n.Args) != n.Fn.Arity() {
		return nil, fmt.Errorf("%s: %s takes %d arguments, not %d", expr.String(n), n.Fn, n.Fn.Arity(), len(n.Args))
	}
	args := make([]floatFn, len(n.Args))
	for i, x := range n.Args {
		f, err := c.floatExpr(x)
		if err != nil {
			return nil, err
		}
		args[i] = f
	}
	a := args[0]
	var f func(float64) float64
	switch n.Fn {
	case expr.Exp, expr.ExpNonPos:
		f = math.Exp
	case expr.Log:
		f = math.Log
	case expr.Sqrt:
		f = math.Sqrt
	case expr.Tanh:
		f = math.Tanh
	case expr.Sigmoid:
		f = func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	case expr.Abs:
		f = math.Abs
	case expr.Pow:
		b := args[1]
		return func(fr *frame) float32 {
			return float32(math.Pow(float64(a(fr)), float64(b(fr))))
		}, nil
	default:
		return nil, fmt.Errorf("%s: unknown intrinsic %s", expr.String(n), n.Fn)
	}
	return func(fr *frame) float32 { return float32(f(float64(a(fr)))) }, nil
}

// boolExpr compiles a Bool expression.
func (c *compiler) boolExpr(e expr.Expr) (boolFn, error) {
	t, err := typeOf(e)
	if err != nil {
		return nil, err
	}
	if t != expr.Bool {
		return nil, typeErr(e, t, expr.Bool)
	}
	switch n := e.(type) {
	case *expr.Binary:
		return c.boolBinary(n)
	case *expr.Not:
		a, err := c.boolExpr(n.A)
		if err != nil {
			return nil, err
		}
		return func(fr *frame) bool { return !a(fr) }, nil
	case *expr.Select:
		cond, err := c.boolExpr(n.Cond)
		if err != nil {
			return nil, err
		}
		a, err := c.boolExpr(n.T)
		if err != nil {
			return nil, err
		}
		b, err := c.boolExpr(n.F)
		if err != nil {
			return nil, err
		}
		return func(fr *frame) bool {
			if cond(fr) {
				return a(fr)
			}
			return b(fr)
		}, nil
	case *expr.Cast:
		from, err := typeOf(n.A)
		if err != nil {
			return nil, err
		}
		switch from {
		case expr.Bool:
			return c.boolExpr(n.A)
		case expr.Int:
			a, err := c.intExpr(n.A)
			if err != nil {
				return nil, err
			}
			return func(fr *frame) bool { return a(fr) != 0 }, nil
		case expr.Float:
			a, err := c.floatExpr(n.A)
			if err != nil {
				return nil, err
			}
			return func(fr *frame) bool { return a(fr) != 0 }, nil
		}
		return nil, fmt.Errorf("cannot cast %s to bool", from)
	}
	return nil, fmt.Errorf("cannot evaluate %T %s as bool", e, expr.String(e))
}

func (c *compiler) boolBinary(n *expr.Binary) (boolFn, error) {
	if n.Op.IsLogic() {
		a, err := c.boolExpr(n.A)
		if err != nil {
			return nil, err
		}
		b, err := c.boolExpr(n.B)
		if err != nil {
			return nil, err
		}
		if n.Op == expr.And {
			return func(fr *frame) bool { return a(fr) && b(fr) }, nil
		}
		return func(fr *frame) bool { return a(fr) || b(fr) }, nil
	}
	if !n.Op.IsCompare() {
		return nil, fmt.Errorf("%s: operator %s does not yield a bool", expr.String(n), n.Op)
	}
	t, err := typeOf(n.A)
	if err != nil {
		return nil, err
	}
	switch t {
	case expr.Int:
		a, err := c.intExpr(n.A)
		if err != nil {
			return nil, err
		}
		b, err := c.intExpr(n.B)
		if err != nil {
			return nil, err
		}
		return compare(n.Op, a, b), nil
	case expr.Float:
		a, err := c.floatExpr(n.A)
		if err != nil {
			return nil, err
		}
		b, err := c.floatExpr(n.B)
		if err != nil {
			return nil, err
		}
		return compare(n.Op, a, b), nil
	case expr.Bool:
		if n.Op != expr.EQ && n.Op != expr.NE {
			return nil, fmt.Errorf("%s: bools compare only with == and !=", expr.String(n))
		}
		a, err := c.boolExpr(n.A)
		if err != nil {
			return nil, err
		}
		b, err := c.boolExpr(n.B)
		if err != nil {
			return nil, err
		}
		if n.Op == expr.EQ {
			return func(fr *frame) bool { return a(fr) == b(fr) }, nil
		}
		return func(fr *frame) bool { return a(fr) != b(fr) }, nil
	}
	return nil, fmt.Errorf("%s: cannot compare %s values", expr.String(n), t)
}

// compare builds a comparison of two compiled operands (IEEE for floats:
// every comparison with NaN is false except !=).
func compare[T int64 | float32](op expr.Op, a, b func(*frame) T) boolFn {
	switch op {
	case expr.LT:
		return func(fr *frame) bool { return a(fr) < b(fr) }
	case expr.LE:
		return func(fr *frame) bool { return a(fr) <= b(fr) }
	case expr.GT:
		return func(fr *frame) bool { return a(fr) > b(fr) }
	case expr.GE:
		return func(fr *frame) bool { return a(fr) >= b(fr) }
	case expr.EQ:
		return func(fr *frame) bool { return a(fr) == b(fr) }
	}
	return func(fr *frame) bool { return a(fr) != b(fr) }
}
