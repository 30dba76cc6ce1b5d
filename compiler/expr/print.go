package expr

import (
	"strconv"
	"strings"
)

// String prints e in the text format's infix syntax with the fewest
// parentheses that keep its meaning.
func String(e Expr) string {
	var b strings.Builder
	Fprint(&b, e)
	return b.String()
}

// Fprint appends the text of e to b.
func Fprint(b *strings.Builder, e Expr) { print(b, e, 0) }

// Precedence levels, loosest first.
const (
	precOr = iota + 1
	precAnd
	precCmp
	precAdd
	precMul
	precUnary
)

func opPrec(o Op) int {
	switch o {
	case Or:
		return precOr
	case And:
		return precAnd
	case Add, Sub:
		return precAdd
	case Mul, Div, FloorDiv, FloorMod:
		return precMul
	}
	if o.IsCompare() {
		return precCmp
	}
	return 0 // min, max: function syntax
}

// FormatFloat prints an f32 constant so that it reads back as a float:
// always with a point or an exponent.
func FormatFloat(v float32) string {
	s := strconv.FormatFloat(float64(v), 'g', -1, 32)
	switch s {
	case "+Inf":
		return "inf"
	case "-Inf":
		return "-inf"
	case "NaN":
		return "nan"
	}
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

func print(b *strings.Builder, e Expr, outer int) {
	switch n := e.(type) {
	case *Var:
		b.WriteString(n.Name)
	case *IntImm:
		if n.V < 0 && outer > precAdd {
			b.WriteByte('(')
			b.WriteString(strconv.FormatInt(n.V, 10))
			b.WriteByte(')')
			return
		}
		b.WriteString(strconv.FormatInt(n.V, 10))
	case *FloatImm:
		s := FormatFloat(n.V)
		if (n.V < 0 || s == "-inf") && outer > precAdd {
			b.WriteString("(" + s + ")")
			return
		}
		b.WriteString(s)
	case *Binary:
		p := opPrec(n.Op)
		if p == 0 {
			b.WriteString(n.Op.String())
			b.WriteByte('(')
			print(b, n.A, 0)
			b.WriteString(", ")
			print(b, n.B, 0)
			b.WriteByte(')')
			return
		}
		paren := p < outer
		if paren {
			b.WriteByte('(')
		}
		// Left-associative: the right operand needs a tighter level.
		// Comparisons do not chain, so both sides are tighter.
		left := p
		if p == precCmp {
			left = p + 1
		}
		print(b, n.A, left)
		b.WriteByte(' ')
		b.WriteString(n.Op.String())
		b.WriteByte(' ')
		print(b, n.B, p+1)
		if paren {
			b.WriteByte(')')
		}
	case *Not:
		b.WriteByte('!')
		print(b, n.A, precUnary+1)
	case *Select:
		b.WriteString("select(")
		print(b, n.Cond, 0)
		b.WriteString(", ")
		print(b, n.T, 0)
		b.WriteString(", ")
		print(b, n.F, 0)
		b.WriteByte(')')
	case *Cast:
		b.WriteString(n.To.String())
		b.WriteByte('(')
		print(b, n.A, 0)
		b.WriteByte(')')
	case *Call:
		b.WriteString(n.Fn.String())
		b.WriteByte('(')
		for i, a := range n.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			print(b, a, 0)
		}
		b.WriteByte(')')
	case *Load:
		b.WriteString(n.Src.SourceName())
		b.WriteByte('[')
		for i, a := range n.Index {
			if i > 0 {
				b.WriteString(", ")
			}
			print(b, a, 0)
		}
		b.WriteByte(']')
	case nil:
		b.WriteString("<nil>")
	}
}
