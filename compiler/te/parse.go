package te

import (
	"fmt"
	"math"
	"strconv"

	"github.com/tabtune/tabtune/compiler/expr"
)

// Parse reads a program in the text format and builds its DAG:
//
//	# comments run from # to the end of the line
//	A = input(f32, [1024, 512])
//	B = input(f32, [512, 256])
//	C[i, j] = sum(A[i, k] * B[k, j], k)
//	D[i, j] = max(C[i, j], 0.0)
//	M[i] = max_over(D[i, j], j)
//
// There is one statement per line: an input NAME = input(f32|i32, [dims])
// or a stage NAME[axes] = value. An axis range is written, as h:58, or
// inferred: the largest 0..n that keeps every read the axis takes part in
// inside its tensor (affine indices with constant coefficients, once the
// other axes' ranges are known; a read under a select whose condition
// keeps it inside sets no bound), and where the axis indexes dimensions
// alone, their sizes must agree (InferExtent). A read that can leave its
// tensor, an integer division or modulo by a constant zero and an i32
// literal out of the i32 range are errors.
// Values are expressions over the axes and reads of earlier tensors, with
// the operators of expr.String, the calls min max exp log sqrt tanh sigmoid
// abs pow select (alias if_then_else) f32 i32, and the reductions sum,
// max_over and min_over (value, axes..., optional init=value). On floats
// max(a, b) is a < b ? b : a and min(a, b) is b < a ? b : a (expr.MaxF32,
// expr.MinF32: a NaN or zero operand order matters; max_over folds as
// max(acc, value), so it skips NaN values). A reduction
// inside a larger value, or inside another reduction, is lifted into a stage
// of its own, NAME_red, placed before the stage and read by it.
//
// An integer literal where a float is needed becomes a float constant
// (x * 2); any other mix of i32 and f32 must be converted with f32(...) or
// i32(...). Integer / integer is floor division.
//
// Errors are *ParseError values, with the line and column of the problem.
// Parse never panics, and Parse(Format(d)) rebuilds d with the same text.
func Parse(src string) (*DAG, error) {
	p := newParser(src)
	stmts, synErr := p.program()
	b := newBuilder(stmts, p.tok.pos)
	dag, semErr := b.build(synErr == nil)
	if semErr != nil && (synErr == nil || semErr.pos().before(synErr.pos())) {
		return nil, semErr
	}
	if synErr != nil {
		return nil, synErr
	}
	return dag, nil
}

// ParseError is an error in the text of a program: what is wrong, at which
// line and column (both 1-based; columns count characters).
type ParseError struct {
	Line, Column int
	Msg          string
}

// Error returns "line L, column C: message".
func (e *ParseError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

func (e *ParseError) pos() pos { return pos{e.Line, e.Column} }

func errAt(p pos, format string, args ...any) *ParseError {
	return &ParseError{Line: p.line, Column: p.col, Msg: fmt.Sprintf(format, args...)}
}

// maxDepth bounds the nesting of expressions (parentheses, calls, reads,
// unary operators), so that a hostile input can not exhaust the stack of
// the parser; maxHeight bounds the height of the trees it builds, which a
// flat chain of operators (a sum of many terms) makes as tall as it is
// long, for the passes that recurse on them.
const (
	maxDepth  = 1000
	maxHeight = 4000
)

// The syntax tree. Positions are kept for the messages of the semantic pass.

type stmtAST struct {
	name  string
	pos   pos // of the name
	input bool
	dtype expr.Type
	shape []int64
	axes  []*axisAST
	value node
}

// axisAST is an axis declaration: a stage axis or a reduction axis.
type axisAST struct {
	name   string
	pos    pos
	extent int64 // 0: infer it
}

type node interface {
	at() pos    // where the expression starts
	depth() int // height of the tree
}

type base struct {
	p pos
	d int
}

func (b base) at() pos    { return b.p }
func (b base) depth() int { return b.d }

type (
	numNode struct {
		base
		isFloat bool
		i       int64
		f       float32
	}
	nameNode struct {
		base
		name string
	}
	readNode struct {
		base
		name  string
		index []node
	}
	unaryNode struct {
		base
		op tokKind // tMinus or tNot
		x  node
	}
	binaryNode struct {
		base
		op    tokKind
		opPos pos
		a, b  node
	}
	callNode struct {
		base
		name string
		args []node
	}
	reduceNode struct {
		base
		op   ReduceOp
		body node
		axes []*axisAST
		init node
	}
)

func depthOf(nodes ...node) int {
	d := 0
	for _, n := range nodes {
		if n != nil && n.depth() > d {
			d = n.depth()
		}
	}
	return d + 1
}

// functions are the calls other than reductions, with their arities.
var functions = map[string]int{
	"min": 2, "max": 2, "exp": 1, "log": 1, "sqrt": 1, "tanh": 1,
	"sigmoid": 1, "abs": 1, "pow": 2, "select": 3, "if_then_else": 3,
	"f32": 1, "i32": 1,
}

type parser struct {
	lex  *lexer
	tok  token
	nest int // recursion depth of expression parsing
}

func newParser(src string) *parser {
	p := &parser{lex: newLexer(src)}
	p.next()
	return p
}

func (p *parser) next() { p.tok = p.lex.next() }

// unexpected reports the current token where something else was expected;
// a character the lexer could not read is reported as such.
func (p *parser) unexpected(format string, args ...any) *ParseError {
	if p.tok.kind == tError {
		return errAt(p.tok.pos, "%s", p.tok.text)
	}
	return errAt(p.tok.pos, "%s, found %s", fmt.Sprintf(format, args...), p.tok)
}

// expect consumes a token of kind k or fails with "expected ..., found ...".
func (p *parser) expect(k tokKind, format string, args ...any) *ParseError {
	if p.tok.kind != k {
		return p.unexpected(format, args...)
	}
	p.next()
	return nil
}

// program parses statements up to the end of the input. On a syntax error it
// returns the statements before it with the error.
func (p *parser) program() ([]*stmtAST, *ParseError) {
	var stmts []*stmtAST
	for {
		switch p.tok.kind {
		case tEOF:
			return stmts, nil
		case tNewline:
			p.next()
			continue
		}
		st, err := p.stmt()
		if err != nil {
			return stmts, err
		}
		stmts = append(stmts, st)
		if p.tok.kind != tNewline && p.tok.kind != tEOF {
			return stmts, p.unexpected("expected the end of the line after the statement")
		}
	}
}

func checkName(t token, what string) *ParseError {
	if t.text == "inf" {
		return errAt(t.pos, "inf is the infinite float; it cannot name %s", what)
	}
	return nil
}

func (p *parser) stmt() (*stmtAST, *ParseError) {
	if p.tok.kind != tIdent {
		return nil, p.unexpected("expected a statement (NAME = input(...) or NAME[axes] = value)")
	}
	if err := checkName(p.tok, "a tensor"); err != nil {
		return nil, err
	}
	st := &stmtAST{name: p.tok.text, pos: p.tok.pos}
	p.next()
	switch p.tok.kind {
	case tAssign:
		p.next()
		return st, p.input(st)
	case tLBrack:
		p.next()
		if p.tok.kind != tRBrack {
			for {
				ax, err := p.axisDecl("axis")
				if err != nil {
					return nil, err
				}
				st.axes = append(st.axes, ax)
				if p.tok.kind != tComma {
					break
				}
				p.next()
			}
		}
		if p.tok.kind != tRBrack {
			return nil, p.unexpected("expected ',' or ']' after axis %s", st.axes[len(st.axes)-1].name)
		}
		p.next()
		if err := p.expect(tAssign, "expected '=' after the axes of %s", st.name); err != nil {
			return nil, err
		}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		st.value = v
		return st, nil
	}
	return nil, p.unexpected("expected '=' (an input) or '[' (a stage's axes) after %s", st.name)
}

// input parses the rest of NAME = input(DTYPE, [d0, d1, ...]).
func (p *parser) input(st *stmtAST) *ParseError {
	st.input = true
	if p.tok.kind != tIdent || p.tok.text != "input" {
		return p.unexpected("expected input(...) after '='; a computed tensor is written %s[axes] = value", st.name)
	}
	p.next()
	if err := p.expect(tLParen, "expected '(' after input"); err != nil {
		return err
	}
	if p.tok.kind != tIdent {
		return p.unexpected("expected a dtype (f32 or i32)")
	}
	switch p.tok.text {
	case "f32":
		st.dtype = expr.Float
	case "i32":
		st.dtype = expr.Int
	default:
		return errAt(p.tok.pos, "unknown dtype %s; expected f32 or i32", p.tok.text)
	}
	p.next()
	if err := p.expect(tComma, "expected ',' after the dtype"); err != nil {
		return err
	}
	if err := p.expect(tLBrack, "expected '[' and the shape of %s", st.name); err != nil {
		return err
	}
	st.shape = []int64{}
	if p.tok.kind != tRBrack {
		for {
			n, err := p.size("a dimension size")
			if err != nil {
				return err
			}
			st.shape = append(st.shape, n)
			if p.tok.kind != tComma {
				break
			}
			p.next()
		}
	}
	if err := p.expect(tRBrack, "expected ',' or ']' after a dimension size"); err != nil {
		return err
	}
	return p.expect(tRParen, "expected ')' after the shape of %s", st.name)
}

// size parses a positive integer literal: a dimension or an axis range.
func (p *parser) size(what string) (int64, *ParseError) {
	if p.tok.kind != tInt {
		return 0, p.unexpected("expected %s (a positive integer)", what)
	}
	n, err := strconv.ParseInt(p.tok.text, 10, 64)
	if err != nil {
		return 0, errAt(p.tok.pos, "%s %s is too large", what, p.tok.text)
	}
	if n <= 0 {
		return 0, errAt(p.tok.pos, "%s must be positive, not %d", what, n)
	}
	p.next()
	return n, nil
}

// axisDecl parses NAME or NAME:N.
func (p *parser) axisDecl(what string) (*axisAST, *ParseError) {
	if p.tok.kind != tIdent {
		return nil, p.unexpected("expected %s name", what)
	}
	if err := checkName(p.tok, "an axis"); err != nil {
		return nil, err
	}
	ax := &axisAST{name: p.tok.text, pos: p.tok.pos}
	p.next()
	if p.tok.kind == tColon {
		p.next()
		n, err := p.size("the range of axis " + ax.name)
		if err != nil {
			return nil, err
		}
		ax.extent = n
	}
	return ax, nil
}

// Expressions, loosest first: || && comparisons + - * / // % unary.

func (p *parser) expr() (node, *ParseError) { return p.or() }

// binary builds a node and enforces the depth limit.
func (p *parser) binary(op tokKind, opPos pos, a, b node) (node, *ParseError) {
	n := &binaryNode{base: base{a.at(), depthOf(a, b)}, op: op, opPos: opPos, a: a, b: b}
	if n.d > maxHeight {
		return nil, errAt(opPos, "expression is nested too deeply (more than %d levels)", maxHeight)
	}
	return n, nil
}

// leftAssoc parses operand {op operand} for the operators in ops.
func (p *parser) leftAssoc(operand func() (node, *ParseError), ops ...tokKind) (node, *ParseError) {
	a, err := operand()
	if err != nil {
		return nil, err
	}
	for {
		op := p.tok
		found := false
		for _, k := range ops {
			found = found || op.kind == k
		}
		if !found {
			return a, nil
		}
		p.next()
		b, err := operand()
		if err != nil {
			return nil, err
		}
		if a, err = p.binary(op.kind, op.pos, a, b); err != nil {
			return nil, err
		}
	}
}

func (p *parser) or() (node, *ParseError)  { return p.leftAssoc(p.and, tOrOr) }
func (p *parser) and() (node, *ParseError) { return p.leftAssoc(p.cmp, tAndAnd) }
func (p *parser) add() (node, *ParseError) { return p.leftAssoc(p.mul, tPlus, tMinus) }
func (p *parser) mul() (node, *ParseError) {
	return p.leftAssoc(p.unary, tStar, tSlash, tSlashSlash, tPercent)
}

func isCompare(k tokKind) bool { return k >= tLT && k <= tNE }

// cmp parses a comparison; comparisons do not chain.
func (p *parser) cmp() (node, *ParseError) {
	a, err := p.add()
	if err != nil || !isCompare(p.tok.kind) {
		return a, err
	}
	op := p.tok
	p.next()
	b, err := p.add()
	if err != nil {
		return nil, err
	}
	if isCompare(p.tok.kind) {
		return nil, errAt(p.tok.pos, "comparisons do not chain: write a < b && b < c, or use parentheses")
	}
	return p.binary(op.kind, op.pos, a, b)
}

func (p *parser) unary() (node, *ParseError) {
	p.nest++
	defer func() { p.nest-- }()
	if p.nest > maxDepth {
		return nil, errAt(p.tok.pos, "expression is nested too deeply (more than %d levels)", maxDepth)
	}
	if k := p.tok.kind; k == tMinus || k == tNot {
		at := p.tok.pos
		p.next()
		if k == tMinus && p.tok.kind == tInt {
			// A negative literal, so that the printer's most negative
			// integer, -9223372036854775808, reads back.
			t := p.tok
			v, err := strconv.ParseInt("-"+t.text, 10, 64)
			if err != nil {
				return nil, errAt(t.pos, "integer -%s is too large", t.text)
			}
			p.next()
			return &numNode{base: base{at, 1}, i: v}, nil
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &unaryNode{base: base{at, depthOf(x)}, op: k, x: x}, nil
	}
	return p.primary()
}

func (p *parser) primary() (node, *ParseError) {
	t := p.tok
	switch t.kind {
	case tInt:
		v, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			return nil, errAt(t.pos, "integer %s is too large", t.text)
		}
		p.next()
		return &numNode{base: base{t.pos, 1}, i: v}, nil
	case tFloat:
		v, err := strconv.ParseFloat(t.text, 32)
		if err != nil {
			return nil, errAt(t.pos, "number %s is out of the range of f32 (use inf)", t.text)
		}
		p.next()
		return &numNode{base: base{t.pos, 1}, isFloat: true, f: float32(v)}, nil
	case tLParen:
		p.next()
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expect(tRParen, "expected ')' to close the '(' at line %d, column %d", t.pos.line, t.pos.col); err != nil {
			return nil, err
		}
		return x, nil
	case tIdent:
		p.next()
		switch p.tok.kind {
		case tLBrack:
			return p.read(t)
		case tLParen:
			return p.call(t)
		}
		if t.text == "inf" {
			return &numNode{base: base{t.pos, 1}, isFloat: true, f: float32(math.Inf(1))}, nil
		}
		return &nameNode{base: base{t.pos, 1}, name: t.text}, nil
	}
	return nil, p.unexpected("expected an expression")
}

// closing reports a list that does not go on with ',' nor end with close.
func (p *parser) closing(close, what string) *ParseError {
	if p.tok.kind == tNewline || p.tok.kind == tEOF {
		return p.unexpected("expected '%s' to close %s", close, what)
	}
	return p.unexpected("expected ',' or '%s' in %s", close, what)
}

// read parses NAME[index, ...]; the name is consumed, the '[' is current.
func (p *parser) read(name token) (node, *ParseError) {
	p.next()
	n := &readNode{base: base{name.pos, 1}, name: name.text}
	if p.tok.kind != tRBrack {
		for {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			n.index = append(n.index, x)
			if p.tok.kind != tComma {
				break
			}
			p.next()
		}
	}
	if p.tok.kind != tRBrack {
		if p.tok.kind == tNewline || p.tok.kind == tEOF || p.tok.kind == tRParen {
			return nil, p.unexpected("expected ']' after the indices of %s", name.text)
		}
		return nil, p.unexpected("expected ',' or ']' after an index of %s", name.text)
	}
	p.next()
	n.d = depthOf(n.index...)
	return n, nil
}

// call parses NAME(args); the name is consumed, the '(' is current.
func (p *parser) call(name token) (node, *ParseError) {
	if op, ok := ReduceOpByName(name.text); ok {
		return p.reduce(name, op)
	}
	arity, ok := functions[name.text]
	if !ok {
		return nil, errAt(name.pos, "unknown function %s", name.text)
	}
	p.next()
	n := &callNode{base: base{name.pos, 1}, name: name.text}
	if p.tok.kind != tRParen {
		for {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			n.args = append(n.args, x)
			if p.tok.kind != tComma {
				break
			}
			p.next()
		}
	}
	if p.tok.kind != tRParen {
		return nil, p.closing(")", "the call to "+name.text)
	}
	p.next()
	if len(n.args) != arity {
		s := "s"
		if arity == 1 {
			s = ""
		}
		hint := ""
		if name.text == "max" || name.text == "min" {
			hint = fmt.Sprintf(" (a reduction is %s_over(value, axis))", name.text)
		}
		return nil, errAt(name.pos, "%s takes %d argument%s, not %d%s", name.text, arity, s, len(n.args), hint)
	}
	n.d = depthOf(n.args...)
	return n, nil
}

// reduce parses sum(value, axis[:N], ..., init=value).
func (p *parser) reduce(name token, op ReduceOp) (node, *ParseError) {
	p.next()
	body, err := p.expr()
	if err != nil {
		return nil, err
	}
	n := &reduceNode{base: base{name.pos, 1}, op: op, body: body}
	for p.tok.kind == tComma {
		p.next()
		if p.tok.kind == tIdent && p.tok.text == "init" {
			initTok := p.tok
			p.next()
			if p.tok.kind == tAssign {
				p.next()
				if n.init, err = p.expr(); err != nil {
					return nil, err
				}
				if p.tok.kind != tRParen {
					return nil, p.unexpected("expected ')' after init=value (init comes last)")
				}
				break
			}
			// An axis called init.
			ax := &axisAST{name: "init", pos: initTok.pos}
			if p.tok.kind == tColon {
				p.next()
				if ax.extent, err = p.size("the range of axis init"); err != nil {
					return nil, err
				}
			}
			n.axes = append(n.axes, ax)
			continue
		}
		if p.tok.kind != tIdent {
			return nil, p.unexpected("expected a reduction axis or init=value")
		}
		ax, err := p.axisDecl("a reduction axis")
		if err != nil {
			return nil, err
		}
		n.axes = append(n.axes, ax)
	}
	if p.tok.kind != tRParen {
		return nil, p.closing(")", "the call to "+name.text)
	}
	if len(n.axes) == 0 {
		return nil, errAt(name.pos, "%s needs at least one reduction axis, as in %s(value, k)", name.text, name.text)
	}
	p.next()
	n.d = depthOf(n.body, n.init)
	return n, nil
}
