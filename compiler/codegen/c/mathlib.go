package c

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/tabtune/tabtune/compiler/codegen/polymath"
	"github.com/tabtune/tabtune/compiler/expr"
)

// call renders an intrinsic: sqrt and abs directly, the others as the
// math functions of package polymath, noted for mathFuncs to define.
func (g *gen) call(fn expr.Intrinsic, vector bool, args []string) string {
	a := strings.Join(args, ", ")
	switch {
	case fn == expr.Sqrt && vector:
		return "tt_vsqrt(" + a + ")"
	case fn == expr.Sqrt:
		return "__builtin_sqrtf(" + a + ")"
	case fn == expr.Abs && vector:
		return "tt_vabs(" + a + ")"
	case fn == expr.Abs:
		return "__builtin_fabsf(" + a + ")"
	}
	g.math[mathKey{fn, vector}] = true
	return mathName(fn, vector) + "(" + a + ")"
}

func mathName(fn expr.Intrinsic, vector bool) string {
	if vector {
		return "tt_" + fn.String() + "_v"
	}
	return "tt_" + fn.String()
}

// mathFuncs defines the math functions the kernel calls, in a fixed order.
func (g *gen) mathFuncs() string {
	keys := make([]mathKey, 0, len(g.math))
	for k := range g.math {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].fn != keys[j].fn {
			return keys[i].fn < keys[j].fn
		}
		return !keys[i].vector && keys[j].vector
	})
	var out strings.Builder
	for _, k := range keys {
		out.WriteString(MathFunc(k.fn, k.vector))
	}
	return out.String()
}

// MathFunc returns the C definition of tt_NAME (scalar: float -> float)
// or tt_NAME_v (vector: tt_vf -> tt_vf) for exp, log, tanh, sigmoid or
// pow (which takes x, y), from the algorithms of package polymath; ""
// for another intrinsic. It needs the file's prelude.
func MathFunc(fn expr.Intrinsic, vector bool) string {
	b := &cmath{vec: vector}
	t := "float"
	if vector {
		t = "tt_vf"
	}
	x := cval{tF32, "x"}
	params := t + " x"
	var r cval
	switch fn {
	case expr.Exp:
		r = polymath.Exp[cval](b, x)
	case expr.ExpNonPos:
		r = polymath.ExpNonPos[cval](b, x)
	case expr.Log:
		r = polymath.Log[cval](b, x)
	case expr.Tanh:
		r = polymath.Tanh[cval](b, x)
	case expr.Sigmoid:
		r = polymath.Sigmoid[cval](b, x)
	case expr.Pow:
		r = polymath.Pow[cval](b, x, cval{tF32, "y"})
		params += ", " + t + " y"
	default:
		return ""
	}
	return fmt.Sprintf("\nTT_MATH %s %s(%s) {\n  TT_NOCONTRACT\n%s  return %s;\n}\n", t, mathName(fn, vector), params, b.body.String(), trimParens(r.s))
}

// A cval is a C expression of one of the value types.
type cval struct {
	t vtype
	s string
}

type vtype uint8

const (
	tF32  vtype = iota
	tI32        // int, or tt_vi lanes
	tF64        // double, or tt_vd lanes
	tMask       // a comparison: int 0/1, or tt_vi lanes of all ones or zeros
)

// cmath renders the polymath algorithms as the body of one C function.
type cmath struct {
	vec  bool
	body strings.Builder
	n    int
}

func (b *cmath) ctype(t vtype) string {
	switch {
	case b.vec && t == tF32:
		return "tt_vf"
	case b.vec && t == tF64:
		return "tt_vd"
	case b.vec:
		return "tt_vi"
	case t == tF32:
		return "float"
	case t == tF64:
		return "double"
	}
	return "int"
}

func (b *cmath) Let(x cval) cval {
	b.n++
	name := fmt.Sprintf("t%d", b.n)
	fmt.Fprintf(&b.body, "  %s %s = %s;\n", b.ctype(x.t), name, trimParens(x.s))
	return cval{x.t, name}
}

func (b *cmath) F32(c float32) cval {
	if b.vec {
		return cval{tF32, "tt_splat(" + floatLit(c) + ")"}
	}
	return cval{tF32, floatLit(c)}
}

func (b *cmath) I32(c int32) cval {
	s := strconv.Itoa(int(c))
	if c < 0 {
		s = fmt.Sprintf("(%d - 1)", c+1) // INT_MIN is not a literal
	}
	if b.vec {
		return cval{tI32, "tt_splati(" + s + ")"}
	}
	return cval{tI32, s}
}

func (b *cmath) F64(c float64) cval {
	s := strconv.FormatFloat(c, 'x', -1, 64)
	if math.IsInf(c, 0) || math.IsNaN(c) {
		panic("c: infinite f64 constant in a math function")
	}
	if b.vec {
		return cval{tF64, "tt_splatd(" + s + ")"}
	}
	return cval{tF64, "(" + s + ")"}
}

func (b *cmath) infix(op string, x, y cval) cval {
	if x.t != y.t {
		panic("c: math operand types differ")
	}
	if x.t == tI32 && (op == "+" || op == "-") {
		// Wrapping arithmetic, as wasm's i32.
		u := "unsigned"
		if b.vec {
			u = "tt_vu"
		}
		return cval{tI32, fmt.Sprintf("((%s)((%s)%s %s (%s)%s))", b.ctype(tI32), u, x.s, op, u, y.s)}
	}
	return cval{x.t, "(" + x.s + " " + op + " " + y.s + ")"}
}

func (b *cmath) Add(x, y cval) cval { return b.infix("+", x, y) }
func (b *cmath) Sub(x, y cval) cval { return b.infix("-", x, y) }
func (b *cmath) Mul(x, y cval) cval { return b.infix("*", x, y) }
func (b *cmath) Div(x, y cval) cval { return b.infix("/", x, y) }

// minMax is min(x, c) (less) or max(x, c) for a nonzero constant c,
// keeping a NaN x: c < x ? c : x, as wasm's f32.min and pmin.
func (b *cmath) minMax(x cval, c float64, less bool) cval {
	var k cval
	if x.t == tF64 {
		k = b.F64(c)
	} else {
		k = b.F32(float32(c))
	}
	op := "<"
	if !less {
		op = ">"
	}
	switch {
	case !b.vec:
		return cval{x.t, fmt.Sprintf("(%s %s %s ? %s : %s)", k.s, op, x.s, k.s, x.s)}
	case x.t == tF64:
		return cval{x.t, fmt.Sprintf("tt_vseld(%s %s %s, %s, %s)", k.s, op, x.s, k.s, x.s)}
	}
	return cval{x.t, fmt.Sprintf("tt_vsel(%s %s %s, %s, %s)", k.s, op, x.s, k.s, x.s)}
}

func (b *cmath) MinC(x cval, c float64) cval { return b.minMax(x, c, true) }
func (b *cmath) MaxC(x cval, c float64) cval { return b.minMax(x, c, false) }

func (b *cmath) cmp(op string, x, y cval) cval {
	return cval{tMask, "(" + x.s + " " + op + " " + y.s + ")"}
}

func (b *cmath) Lt(x, y cval) cval { return b.cmp("<", x, y) }
func (b *cmath) Gt(x, y cval) cval { return b.cmp(">", x, y) }
func (b *cmath) Eq(x, y cval) cval { return b.cmp("==", x, y) }
func (b *cmath) Ne(x, y cval) cval { return b.cmp("!=", x, y) }

func (b *cmath) And(x, y cval) cval { return cval{x.t, "(" + x.s + " & " + y.s + ")"} }
func (b *cmath) Or(x, y cval) cval  { return cval{x.t, "(" + x.s + " | " + y.s + ")"} }

func (b *cmath) Not(m cval) cval {
	if b.vec {
		return cval{tMask, "(~" + m.s + ")"}
	}
	return cval{tMask, "(!" + m.s + ")"}
}

func (b *cmath) Sel(m, x, y cval) cval {
	switch {
	case !b.vec:
		return cval{x.t, fmt.Sprintf("(%s ? %s : %s)", m.s, x.s, y.s)}
	case x.t == tF32:
		return cval{x.t, fmt.Sprintf("tt_vsel(%s, %s, %s)", trimParens(m.s), trimParens(x.s), trimParens(y.s))}
	}
	return cval{x.t, fmt.Sprintf("tt_vseli(%s, %s, %s)", trimParens(m.s), trimParens(x.s), trimParens(y.s))}
}

func (b *cmath) shift(x cval, op string, n int32, unsigned bool) cval {
	if !unsigned {
		return cval{tI32, fmt.Sprintf("(%s %s %d)", x.s, op, n)}
	}
	u := "unsigned"
	if b.vec {
		u = "tt_vu"
	}
	return cval{tI32, fmt.Sprintf("((%s)((%s)%s %s %d))", b.ctype(tI32), u, x.s, op, n)}
}

func (b *cmath) Shl(x cval, n int32) cval  { return b.shift(x, "<<", n, true) }
func (b *cmath) ShrS(x cval, n int32) cval { return b.shift(x, ">>", n, false) }
func (b *cmath) ShrU(x cval, n int32) cval { return b.shift(x, ">>", n, true) }

// fn1 is a unary function: scalar name, vector name.
func (b *cmath) fn1(scalar, vector string, t vtype, args ...cval) cval {
	f := scalar
	if b.vec {
		f = vector
	}
	s := make([]string, len(args))
	for i, a := range args {
		s[i] = trimParens(a.s)
	}
	return cval{t, f + "(" + strings.Join(s, ", ") + ")"}
}

func (b *cmath) Abs(x cval) cval   { return b.fn1("__builtin_fabsf", "tt_vabs", tF32, x) }
func (b *cmath) Neg(x cval) cval   { return cval{tF32, "(-" + x.s + ")"} }
func (b *cmath) Trunc(x cval) cval { return b.fn1("__builtin_truncf", "tt_vtrunc", tF32, x) }
func (b *cmath) Copysign(x, y cval) cval {
	return b.fn1("__builtin_copysignf", "tt_vcopysign", tF32, x, y)
}
func (b *cmath) BitsOf(x cval) cval   { return b.fn1("tt_bits", "(tt_vi)", tI32, x) }
func (b *cmath) FromBits(x cval) cval { return b.fn1("tt_frombits", "(tt_vf)", tF32, x) }

func (b *cmath) Pow2k(x cval) cval {
	if b.vec {
		return cval{tF64, "((tt_vd)((tt_vl)" + x.s + " << 52))"}
	}
	return b.fn1("tt_pow2k", "", tF64, x)
}

func (b *cmath) Cvt(x cval) cval {
	if b.vec {
		return cval{tF32, "__builtin_convertvector(" + trimParens(x.s) + ", tt_vf)"}
	}
	return cval{tF32, "((float)" + x.s + ")"}
}

// Wide converts the arguments to double (all lanes at once), runs f and
// rounds its result to float once.
func (b *cmath) Wide(f func([]cval) cval, args ...cval) cval {
	wide := make([]cval, len(args))
	for i, a := range args {
		if b.vec {
			wide[i] = cval{tF64, "__builtin_convertvector(" + trimParens(a.s) + ", tt_vd)"}
		} else {
			wide[i] = cval{tF64, "((double)" + a.s + ")"}
		}
	}
	r := f(wide)
	if b.vec {
		return cval{tF32, "__builtin_convertvector(" + trimParens(r.s) + ", tt_vf)"}
	}
	return cval{tF32, "((float)" + r.s + ")"}
}
