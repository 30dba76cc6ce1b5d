package c

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// scalar renders an expression computed on one lane: integers are long,
// floats float, conditions int.
func (g *gen) scalar(e expr.Expr) (string, error) {
	switch n := e.(type) {
	case *expr.Var:
		return g.varName(n), nil
	case *expr.IntImm:
		return intLit(n.V), nil
	case *expr.FloatImm:
		return floatLit(n.V), nil
	case *expr.Binary:
		return g.scalarBinary(n)
	case *expr.Not:
		a, err := g.scalar(n.A)
		return "(!" + a + ")", err
	case *expr.Select:
		c, err1 := g.scalar(n.Cond)
		t, err2 := g.scalar(n.T)
		f, err3 := g.scalar(n.F)
		return fmt.Sprintf("(%s ? %s : %s)", c, t, f), firstErr(err1, err2, err3)
	case *expr.Cast:
		a, err := g.scalar(n.A)
		if err != nil {
			return "", err
		}
		switch {
		case n.To == n.A.Type():
			return a, nil
		case n.To == expr.Float:
			return "((float)" + a + ")", nil
		case n.To == expr.Bool:
			return "(" + a + " != 0)", nil
		case n.A.Type() == expr.Float:
			return "tt_f2i(" + trimParens(a) + ")", nil
		}
		return "((long)" + a + ")", nil
	case *expr.Call:
		return g.callWith(n, false, g.scalar)
	case *expr.Load:
		b, ok := n.Src.(*ir.Buffer)
		if !ok {
			return "", fmt.Errorf("load from %s, which is not a buffer", n.Src.SourceName())
		}
		if b.DType == expr.Int {
			return "((long)" + g.elem(b, n.Index) + ")", nil
		}
		return g.elem(b, n.Index), nil
	}
	return "", fmt.Errorf("expression %T not supported", e)
}

// callWith renders a call whose arguments are rendered by arg.
func (g *gen) callWith(n *expr.Call, vector bool, arg func(expr.Expr) (string, error)) (string, error) {
	if len(n.Args) != n.Fn.Arity() {
		return "", fmt.Errorf("%s takes %d arguments, not %d", n.Fn, n.Fn.Arity(), len(n.Args))
	}
	args := make([]string, len(n.Args))
	for i, x := range n.Args {
		a, err := arg(x)
		if err != nil {
			return "", err
		}
		args[i] = trimParens(a)
	}
	return g.call(n.Fn, vector, args), nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// cOps are the binary operators C writes infix.
var cOps = map[expr.Op]string{
	expr.Add: "+", expr.Sub: "-", expr.Mul: "*", expr.Div: "/",
	expr.LT: "<", expr.LE: "<=", expr.GT: ">", expr.GE: ">=", expr.EQ: "==", expr.NE: "!=",
	expr.And: "&&", expr.Or: "||",
}

func (g *gen) scalarBinary(n *expr.Binary) (string, error) {
	a, err1 := g.scalar(n.A)
	b, err2 := g.scalar(n.B)
	if err := firstErr(err1, err2); err != nil {
		return "", err
	}
	float := n.A.Type() == expr.Float
	switch n.Op {
	case expr.FloorDiv, expr.FloorMod:
		op, helper := "/", "tt_floordiv"
		if n.Op == expr.FloorMod {
			op, helper = "%", "tt_floormod"
		}
		// Plain C division where both agree: a >= 0, b a positive constant.
		if c, ok := n.B.(*expr.IntImm); ok && c.V > 0 {
			if r, ok := expr.Bounds(n.A, g.env); ok && r.Min >= 0 {
				return fmt.Sprintf("(%s %s %s)", a, op, b), nil
			}
		}
		return fmt.Sprintf("%s(%s, %s)", helper, trimParens(a), trimParens(b)), nil
	case expr.Min, expr.Max:
		f := "tt_" + n.Op.String()
		if float {
			f += "f"
		} else {
			f += "i"
		}
		return fmt.Sprintf("%s(%s, %s)", f, trimParens(a), trimParens(b)), nil
	case expr.Div:
		if !float {
			return "", fmt.Errorf("%s: float division of integers", expr.String(n))
		}
	}
	op, ok := cOps[n.Op]
	if !ok {
		return "", fmt.Errorf("operator %s not supported", n.Op)
	}
	return fmt.Sprintf("(%s %s %s)", a, op, b), nil
}

// intLit writes an integer constant of type long.
func intLit(v int64) string {
	if v > math.MaxInt32 || v < math.MinInt32 {
		return strconv.FormatInt(v, 10) + "L"
	}
	if v < 0 {
		return "(" + strconv.FormatInt(v, 10) + ")"
	}
	return strconv.FormatInt(v, 10)
}

// floatLit writes a float constant exactly (the shortest decimal that
// reads back as the same float32).
func floatLit(v float32) string {
	f := float64(v)
	switch {
	case math.IsNaN(f):
		return "__builtin_nanf(\"\")"
	case math.IsInf(f, 1):
		return "__builtin_inff()"
	case math.IsInf(f, -1):
		return "(-__builtin_inff())"
	}
	s := strconv.FormatFloat(f, 'g', -1, 32)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	if v < 0 || (v == 0 && math.Signbit(f)) {
		return "(" + s + "f)"
	}
	return s + "f"
}
