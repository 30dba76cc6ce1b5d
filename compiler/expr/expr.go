// Package expr is the scalar expression language shared by tensor
// expressions (package te) and the loop IR (package ir).
//
// An expression is an immutable tree of small values: variables, constants,
// arithmetic, comparisons, selects, casts, intrinsic calls and loads from a
// tensor or buffer. Every node has a type: Int (indices, i32 tensors), Float
// (f32) or Bool (conditions). The node set is closed (an unexported marker
// method), and the package offers one Walk, one Rewrite, a printer, interval
// bounds and a simplifier that folds the div/mod noise left by split and fuse.
// Variables are compared by identity (pointer), never by name: two stages may
// both have an axis called i.
package expr

import "fmt"

// Type is the type of an expression's value.
type Type uint8

// The value types.
const (
	Int   Type = iota // a signed integer: indices, i32 tensors
	Float             // a 32-bit float
	Bool              // a condition
)

// String returns the type's name in the text format.
func (t Type) String() string {
	switch t {
	case Int:
		return "i32"
	case Float:
		return "f32"
	case Bool:
		return "bool"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Expr is a scalar expression. Implementations are the node types of this
// package; expressions are immutable and may be shared.
type Expr interface {
	// Type is the type of the value the expression computes.
	Type() Type
	isExpr()
}

// Var is an integer variable: a tensor axis, a reduction axis or a loop
// variable. Identity is the pointer; Name is for printing only.
type Var struct {
	Name string
}

// NewVar returns a fresh variable with the given name.
func NewVar(name string) *Var { return &Var{Name: name} }

// IntImm is an integer constant.
type IntImm struct {
	V int64
}

// FloatImm is an f32 constant.
type FloatImm struct {
	V float32
}

// Op is a binary operator.
type Op uint8

// The binary operators. Div is float division; integer division is
// always FloorDiv, and FloorMod its remainder (sign of the divisor). Min
// and Max of floats are MinF32 and MaxF32, which are not commutative.
const (
	Add Op = iota
	Sub
	Mul
	Div
	FloorDiv
	FloorMod
	Min
	Max
	LT
	LE
	GT
	GE
	EQ
	NE
	And
	Or
)

// MaxF32 is what max(a, b) means on floats: a < b ? b : a. It is
// WebAssembly's f32x4.pmax and x86's maxps (operands swapped), one
// instruction where an IEEE max that propagates NaN takes several: when
// either operand is NaN the result is a (so a max reduction, whose
// accumulator comes first, skips NaN values), and max(+0, -0) = +0 but
// max(-0, +0) = -0. Every evaluator and code generator follows it.
func MaxF32(a, b float32) float32 {
	if a < b {
		return b
	}
	return a
}

// MinF32 is what min(a, b) means on floats: b < a ? b : a (f32x4.pmin,
// x86's minps with the operands swapped); like MaxF32, it returns a when
// either operand is NaN or both are zeros.
func MinF32(a, b float32) float32 {
	if b < a {
		return b
	}
	return a
}

var opNames = [...]string{
	Add: "+", Sub: "-", Mul: "*", Div: "/", FloorDiv: "//", FloorMod: "%",
	Min: "min", Max: "max", LT: "<", LE: "<=", GT: ">", GE: ">=", EQ: "==",
	NE: "!=", And: "&&", Or: "||",
}

// String returns the operator as written in the text format.
func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// IsCompare reports whether o compares two values and yields a Bool.
func (o Op) IsCompare() bool { return o >= LT && o <= NE }

// IsLogic reports whether o combines two Bools.
func (o Op) IsLogic() bool { return o == And || o == Or }

// Binary applies a binary operator to two operands.
type Binary struct {
	Op   Op
	A, B Expr
}

// Not negates a condition.
type Not struct {
	A Expr
}

// Select is cond ? T : F. Only the chosen branch is evaluated, so a branch
// may read out of bounds where the condition excludes it (padding).
type Select struct {
	Cond, T, F Expr
}

// Cast converts a value to another type.
type Cast struct {
	To Type
	A  Expr
}

// Intrinsic is a math function that Call can apply.
type Intrinsic uint8

// The intrinsics.
const (
	Exp Intrinsic = iota
	Log
	Sqrt
	Tanh
	Sigmoid
	Abs
	Pow
	// ExpNonPos is exp of an argument that cannot be positive, x - max
	// of the x it was taken over (lowering derives it, package lower):
	// exp without the overflow handling of large arguments. Its value is
	// exp's, and generators compute it right for x <= 88.37 (e^x below
	// 2^127.5), not above. It is not in the text format.
	ExpNonPos
)

var intrinsicNames = [...]string{Exp: "exp", Log: "log", Sqrt: "sqrt", Tanh: "tanh", Sigmoid: "sigmoid", Abs: "abs", Pow: "pow",
	ExpNonPos: "exp_nonpos"}

// String returns the intrinsic's name in the text format.
func (f Intrinsic) String() string {
	if int(f) < len(intrinsicNames) {
		return intrinsicNames[f]
	}
	return fmt.Sprintf("Intrinsic(%d)", uint8(f))
}

// Arity is the number of arguments the intrinsic takes.
func (f Intrinsic) Arity() int {
	if f == Pow {
		return 2
	}
	return 1
}

// IntrinsicByName looks an intrinsic up by its text-format name
// (ExpNonPos, which only lowering derives, has none).
func IntrinsicByName(name string) (Intrinsic, bool) {
	for i, n := range intrinsicNames {
		if n == name && Intrinsic(i) != ExpNonPos {
			return Intrinsic(i), true
		}
	}
	return 0, false
}

// Call applies an intrinsic to float arguments.
type Call struct {
	Fn   Intrinsic
	Args []Expr
}

// Source is what a Load reads: a tensor of a DAG or a buffer of the loop IR.
type Source interface {
	// SourceName is the name printed for the source.
	SourceName() string
	// ElemType is the type of one element.
	ElemType() Type
}

// Load reads one element of a source at integer indices, one per dimension.
type Load struct {
	Src   Source
	Index []Expr
}

func (*Var) Type() Type      { return Int }
func (*IntImm) Type() Type   { return Int }
func (*FloatImm) Type() Type { return Float }
func (*Not) Type() Type      { return Bool }
func (c *Cast) Type() Type   { return c.To }
func (*Call) Type() Type     { return Float }
func (l *Load) Type() Type   { return l.Src.ElemType() }
func (s *Select) Type() Type { return s.T.Type() }

// Type is Bool for comparisons and logic, else the operands' type.
func (b *Binary) Type() Type {
	if b.Op.IsCompare() || b.Op.IsLogic() {
		return Bool
	}
	return b.A.Type()
}

func (*Var) isExpr()      {}
func (*IntImm) isExpr()   {}
func (*FloatImm) isExpr() {}
func (*Binary) isExpr()   {}
func (*Not) isExpr()      {}
func (*Select) isExpr()   {}
func (*Cast) isExpr()     {}
func (*Call) isExpr()     {}
func (*Load) isExpr()     {}

// Small constants shared to save allocations.
var (
	zero = &IntImm{V: 0}
	one  = &IntImm{V: 1}
)

// Const returns an integer constant.
func Const(v int64) *IntImm {
	switch v {
	case 0:
		return zero
	case 1:
		return one
	}
	return &IntImm{V: v}
}

// F32 returns a float constant.
func F32(v float32) *FloatImm { return &FloatImm{V: v} }

// Bin returns the binary node a op b, unsimplified.
func Bin(op Op, a, b Expr) *Binary { return &Binary{Op: op, A: a, B: b} }

// AddE returns a+b, folding constants and zeros.
func AddE(a, b Expr) Expr {
	if ai, ok := a.(*IntImm); ok {
		if bi, ok := b.(*IntImm); ok {
			return Const(ai.V + bi.V)
		}
		if ai.V == 0 {
			return b
		}
	}
	if bi, ok := b.(*IntImm); ok && bi.V == 0 {
		return a
	}
	return Bin(Add, a, b)
}

// SubE returns a-b, folding constants and zeros.
func SubE(a, b Expr) Expr {
	if ai, ok := a.(*IntImm); ok {
		if bi, ok := b.(*IntImm); ok {
			return Const(ai.V - bi.V)
		}
	}
	if bi, ok := b.(*IntImm); ok && bi.V == 0 {
		return a
	}
	return Bin(Sub, a, b)
}

// MulE returns a*b, folding constants, zeros and ones.
func MulE(a, b Expr) Expr {
	if ai, ok := a.(*IntImm); ok {
		if bi, ok := b.(*IntImm); ok {
			return Const(ai.V * bi.V)
		}
		switch ai.V {
		case 0:
			return zero
		case 1:
			return b
		}
	}
	if bi, ok := b.(*IntImm); ok {
		switch bi.V {
		case 0:
			return zero
		case 1:
			return a
		}
	}
	return Bin(Mul, a, b)
}

// AndE returns a && b, folding constant conditions. A nil operand means
// true, so guards can be accumulated starting from nil.
func AndE(a, b Expr) Expr {
	if a == nil || isTrue(a) {
		return b
	}
	if b == nil || isTrue(b) {
		return a
	}
	return Bin(And, a, b)
}

// Bool constants are written as comparisons of constants; these helpers
// recognize them.
func isTrue(e Expr) bool {
	v, ok := ConstBool(e)
	return ok && v
}

// True and False are the canonical constant conditions.
var (
	True  Expr = Bin(EQ, zero, zero)
	False Expr = Bin(NE, zero, zero)
)

// ConstBool reports the value of a condition that compares two integer
// constants.
func ConstBool(e Expr) (value, ok bool) {
	b, isBin := e.(*Binary)
	if !isBin || !b.Op.IsCompare() {
		return false, false
	}
	x, ok1 := b.A.(*IntImm)
	y, ok2 := b.B.(*IntImm)
	if !ok1 || !ok2 {
		return false, false
	}
	return compareInts(b.Op, x.V, y.V), true
}

func compareInts(op Op, x, y int64) bool {
	switch op {
	case LT:
		return x < y
	case LE:
		return x <= y
	case GT:
		return x > y
	case GE:
		return x >= y
	case EQ:
		return x == y
	case NE:
		return x != y
	}
	return false
}

// FloorDivInt is integer division rounding toward negative infinity.
func FloorDivInt(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// FloorModInt is the remainder of FloorDivInt; it has the sign of b.
func FloorModInt(a, b int64) int64 {
	return a - FloorDivInt(a, b)*b
}
