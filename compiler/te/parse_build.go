package te

import (
	"math"
	"strconv"
	"strings"

	"github.com/tabtune/tabtune/compiler/expr"
)

// This file is the semantic pass of Parse: it resolves names, checks types,
// infers axis ranges, lifts nested reductions into stages of their own and
// builds the DAG.
//
// A stage is lowered twice. The first pass checks it, infers the range of
// every axis from the reads it takes part in (inferRanges), and refuses the
// reads that can leave their tensor (checkReads); a nested reduction then
// stands for an index-free read of a dummy tensor, which both ignore. The
// second pass, with all ranges known, builds the tensors: each
// nested reduction becomes a stage NAME_red over the axes in scope where it
// appears (the stage's axes, then the axes of the reductions it sits in),
// with fresh variables, and the enclosing value reads it at those axes.

type builder struct {
	stmts   []*stmtAST
	end     pos                // end of the input
	names   map[string]bool    // every statement's name and every lifted name
	tensors map[string]*Tensor // tensors defined so far
	where   map[string]pos     // the statement that defined each tensor
	out     []*Tensor
}

func newBuilder(stmts []*stmtAST, end pos) *builder {
	b := &builder{stmts: stmts, end: end, names: map[string]bool{},
		tensors: map[string]*Tensor{}, where: map[string]pos{}}
	for _, st := range stmts {
		b.names[st.name] = true
	}
	return b
}

// build lowers the statements in order. complete is false when a syntax
// error cut the program short: then only the statements are checked.
func (b *builder) build(complete bool) (*DAG, *ParseError) {
	for _, st := range b.stmts {
		if _, ok := b.tensors[st.name]; ok {
			w := b.where[st.name]
			return nil, errAt(st.pos, "%s is already defined (line %d)", st.name, w.line)
		}
		if st.input {
			b.define(Placeholder(st.name, st.dtype, st.shape...), st.pos)
			continue
		}
		if err := b.stage(st); err != nil {
			return nil, err
		}
	}
	if !complete {
		return nil, nil
	}
	if len(b.stmts) == 0 {
		return nil, errAt(b.end, "empty program: expected at least one statement, as A = input(f32, [4])")
	}
	read := map[*Tensor]bool{}
	for _, t := range b.out {
		for _, l := range t.Reads() {
			if src, ok := l.Src.(*Tensor); ok {
				read[src] = true
			}
		}
	}
	for _, t := range b.out {
		if t.IsInput() && !read[t] {
			return nil, errAt(b.where[t.Name], "input %s is never read", t.Name)
		}
	}
	dag, err := NewDAG(b.out...)
	if err != nil {
		// Checked above; kept so that a rule NewDAG adds still gets a place.
		msg := strings.TrimPrefix(err.Error(), "te: ")
		at := b.end
		if name, _, ok := strings.Cut(msg, ": "); ok {
			if w, ok := b.where[name]; ok {
				at = w
			}
		}
		return nil, errAt(at, "%s", msg)
	}
	return dag, nil
}

func (b *builder) define(t *Tensor, at pos) {
	b.tensors[t.Name] = t
	b.where[t.Name] = at
	b.names[t.Name] = true
	b.out = append(b.out, t)
}

// liftName is a fresh name for a reduction lifted out of stage base.
func (b *builder) liftName(base string) string {
	name := base + "_red"
	for k := 2; b.names[name]; k++ {
		name = base + "_red" + strconv.Itoa(k)
	}
	b.names[name] = true
	return name
}

// scopeAxis is an axis in scope: its declaration and its variable.
type scopeAxis struct {
	decl   *axisAST
	v      *expr.Var
	reduce bool // a reduction axis (else a stage axis)
}

// scope is what names mean at some point of a value.
type scope struct {
	axes   []scopeAxis       // in order: stage axes, then enclosing reductions'
	banned map[string]string // names an init may not use, with the reason
}

func (s *scope) lookup(name string) (scopeAxis, bool) {
	for _, a := range s.axes {
		if a.decl.name == name {
			return a, true
		}
	}
	return scopeAxis{}, false
}

// lowering is the state of one pass over one stage.
type lowering struct {
	b       *builder
	st      *stmtAST
	build   bool                 // second pass: build tensors
	extents map[*axisAST]int64   // every axis's range, known after pass one
	frames  []*[]expr.Expr       // pass one: the trees each open reduction holds
	redAxes []scopeAxis          // pass one: the axes of every reduction
	readAt  map[*expr.Load]pos   // pass one: where each read is written
	intAt   map[*expr.IntImm]pos // pass one: where each integer literal is written
	lifted  []*Tensor            // pass two: the lifted stages, in order
}

// dummy is what a nested reduction reads in the first pass.
var dummy = &Tensor{Name: "<reduction>", DType: expr.Float}

// record adds a finished tree to every open frame.
func (c *lowering) record(e expr.Expr) {
	for _, f := range c.frames {
		*f = append(*f, e)
	}
}

func (b *builder) stage(st *stmtAST) *ParseError {
	c := &lowering{b: b, st: st, extents: map[*axisAST]int64{},
		readAt: map[*expr.Load]pos{}, intAt: map[*expr.IntImm]pos{}}
	if _, err := c.stage(); err != nil {
		return err
	}
	c.build = true
	t, err := c.stage()
	if err != nil {
		return err
	}
	for _, l := range c.lifted {
		b.define(l, st.pos)
	}
	b.define(t, st.pos)
	return nil
}

// stage runs one pass over the stage; the second returns its tensor.
func (c *lowering) stage() (*Tensor, *ParseError) {
	st := c.st
	s := &scope{}
	for _, ax := range st.axes {
		if _, dup := s.lookup(ax.name); dup {
			return nil, errAt(ax.pos, "axis %s is listed twice", ax.name)
		}
		s.axes = append(s.axes, scopeAxis{decl: ax, v: expr.NewVar(ax.name)})
	}
	var all []expr.Expr
	c.frames = []*[]expr.Expr{&all}
	var body expr.Expr
	var red *Reduction
	if r, ok := st.value.(*reduceNode); ok {
		var err *ParseError
		if red, err = c.reduction(r, s); err != nil {
			return nil, err
		}
	} else {
		var err *ParseError
		if body, err = c.lower(st.value, s); err != nil {
			return nil, err
		}
		switch body.Type() {
		case expr.Float, expr.Int:
		default:
			return nil, errAt(st.value.at(), "the value of %s is a condition (bool); a stage computes f32 or i32: use select(cond, 1.0, 0.0)", st.name)
		}
		c.record(body)
	}
	if !c.build {
		axes := append(append([]scopeAxis(nil), s.axes...), c.redAxes...)
		if err := c.checkLiterals(all); err != nil {
			return nil, err
		}
		known, err := c.inferRanges(axes, all)
		if err != nil {
			return nil, err
		}
		return nil, c.checkReads(all, known)
	}
	axes := make([]Axis, len(s.axes))
	for i, a := range s.axes {
		axes[i] = Axis{Var: a.v, Extent: c.extents[a.decl]}
	}
	if red != nil {
		return ComputeReduce(st.name, axes, red), nil
	}
	return Compute(st.name, axes, body), nil
}

// reduction lowers a reduction in scope s, declaring its axes.
func (c *lowering) reduction(r *reduceNode, s *scope) (*Reduction, *ParseError) {
	inner := &scope{axes: append([]scopeAxis(nil), s.axes...)}
	banned := map[string]string{}
	for k, v := range s.banned {
		banned[k] = v
	}
	for i, ax := range r.axes {
		for _, prev := range r.axes[:i] {
			if prev.name == ax.name {
				return nil, errAt(ax.pos, "reduction axis %s is listed twice", ax.name)
			}
		}
		if a, ok := s.lookup(ax.name); ok {
			if a.reduce {
				return nil, errAt(ax.pos, "reduction axis %s clashes with the axis %s of an enclosing reduction; rename it", ax.name, ax.name)
			}
			return nil, errAt(ax.pos, "reduction axis %s clashes with the axis %s of stage %s; rename it", ax.name, ax.name, c.st.name)
		}
		delete(banned, ax.name)
		inner.axes = append(inner.axes, scopeAxis{decl: ax, v: expr.NewVar(ax.name), reduce: true})
	}
	inner.banned = banned
	own := inner.axes[len(s.axes):]

	var trees []expr.Expr
	c.frames = append(c.frames, &trees)
	body, err := c.lower(r.body, inner)
	c.frames = c.frames[:len(c.frames)-1]
	if err != nil {
		return nil, err
	}
	body, ok := toFloat(body)
	if !ok {
		return nil, errAt(r.body.at(), "%s reduces f32 values, not %s: write f32(...)", r.op, body.Type())
	}
	c.record(body)
	trees = append(trees, body)
	if !c.build {
		c.redAxes = append(c.redAxes, own...)
	}

	var init expr.Expr
	if r.init != nil {
		outer := &scope{axes: s.axes, banned: map[string]string{}}
		for k, v := range s.banned {
			outer.banned[k] = v
		}
		for _, ax := range r.axes {
			outer.banned[ax.name] = "init=... cannot use the reduction axis " + ax.name
		}
		if init, err = c.lower(r.init, outer); err != nil {
			return nil, err
		}
		if init, ok = toFloat(init); !ok {
			return nil, errAt(r.init.at(), "the init of %s must be f32, not %s", r.op, init.Type())
		}
		c.record(init)
	}
	red := &Reduction{Op: r.op, Body: body, Init: init}
	for _, a := range own {
		red.Axes = append(red.Axes, Axis{Var: a.v, Extent: c.extents[a.decl]})
	}
	return red, nil
}

// lift lowers a reduction nested in a larger value. The first pass returns
// a read of the dummy; the second makes a stage over the axes in scope and
// returns the read of it.
func (c *lowering) lift(r *reduceNode, s *scope) (expr.Expr, *ParseError) {
	if !c.build {
		if _, err := c.reduction(r, s); err != nil {
			return nil, err
		}
		return &expr.Load{Src: dummy}, nil
	}
	fresh := &scope{banned: s.banned}
	axes := make([]Axis, len(s.axes))
	index := make([]expr.Expr, len(s.axes))
	for i, a := range s.axes {
		v := expr.NewVar(a.decl.name)
		fresh.axes = append(fresh.axes, scopeAxis{decl: a.decl, v: v})
		axes[i] = Axis{Var: v, Extent: c.extents[a.decl]}
		index[i] = a.v
	}
	red, err := c.reduction(r, fresh)
	if err != nil {
		return nil, err
	}
	// Named after its own nested reductions, so names follow the order.
	t := ComputeReduce(c.b.liftName(c.st.name), axes, red)
	c.lifted = append(c.lifted, t)
	return &expr.Load{Src: t, Index: index}, nil
}

// toFloat applies the literal rule: an integer literal where a float is
// needed is a float constant. ok is false for any other non-float.
func toFloat(e expr.Expr) (expr.Expr, bool) {
	if e.Type() == expr.Float {
		return e, true
	}
	if i, isInt := e.(*expr.IntImm); isInt {
		return expr.F32(float32(i.V)), true
	}
	return e, false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// short prints an expression for a message, cut if long.
func short(e expr.Expr) string {
	s := expr.String(e)
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}

// unify gives two operands one type, by the literal rule.
func unify(what string, at pos, a, b expr.Expr) (expr.Expr, expr.Expr, *ParseError) {
	ta, tb := a.Type(), b.Type()
	if ta == tb {
		return a, b, nil
	}
	if ta == expr.Float && tb == expr.Int {
		if f, ok := toFloat(b); ok {
			return a, f, nil
		}
		return nil, nil, errAt(at, "%s mixes f32 and i32: write f32(%s)", what, short(b))
	}
	if ta == expr.Int && tb == expr.Float {
		if f, ok := toFloat(a); ok {
			return f, b, nil
		}
		return nil, nil, errAt(at, "%s mixes i32 and f32: write f32(%s)", what, short(a))
	}
	return nil, nil, errAt(at, "%s mixes %s and %s", what, ta, tb)
}

// value checks that an operand is a number, not a condition.
func value(what string, n node, e expr.Expr) *ParseError {
	if e.Type() == expr.Bool {
		return errAt(n.at(), "%s needs a number, not a condition (bool): use select(cond, 1.0, 0.0)", what)
	}
	return nil
}

var binOps = map[tokKind]expr.Op{
	tPlus: expr.Add, tMinus: expr.Sub, tStar: expr.Mul, tSlash: expr.Div,
	tSlashSlash: expr.FloorDiv, tPercent: expr.FloorMod, tLT: expr.LT,
	tLE: expr.LE, tGT: expr.GT, tGE: expr.GE, tEQ: expr.EQ, tNE: expr.NE,
	tAndAnd: expr.And, tOrOr: expr.Or,
}

// lower turns a syntax tree into a typed expression in scope s.
func (c *lowering) lower(n node, s *scope) (expr.Expr, *ParseError) {
	switch n := n.(type) {
	case *numNode:
		if n.isFloat {
			return expr.F32(n.f), nil
		}
		if n.i < math.MinInt32 || n.i > math.MaxInt32 {
			// A fresh node, so that its place is known (Const shares 0 and 1).
			lit := &expr.IntImm{V: n.i}
			if !c.build {
				c.intAt[lit] = n.p
			}
			return lit, nil
		}
		return expr.Const(n.i), nil
	case *nameNode:
		if why, ok := s.banned[n.name]; ok {
			return nil, errAt(n.p, "%s", why)
		}
		if a, ok := s.lookup(n.name); ok {
			return a.v, nil
		}
		if _, ok := c.b.tensors[n.name]; ok {
			return nil, errAt(n.p, "%s is a tensor; read it as %s[...]", n.name, n.name)
		}
		return nil, errAt(n.p, "undefined axis %s", n.name)
	case *readNode:
		return c.read(n, s)
	case *unaryNode:
		x, err := c.lower(n.x, s)
		if err != nil {
			return nil, err
		}
		if n.op == tNot {
			if x.Type() != expr.Bool {
				return nil, errAt(n.p, "'!' needs a condition (bool), not %s", x.Type())
			}
			return &expr.Not{A: x}, nil
		}
		switch x := x.(type) {
		case *expr.IntImm:
			return expr.Const(-x.V), nil
		case *expr.FloatImm:
			return expr.F32(-x.V), nil
		}
		switch x.Type() {
		case expr.Int:
			return expr.Bin(expr.Sub, expr.Const(0), x), nil
		case expr.Float:
			return expr.Bin(expr.Sub, expr.F32(0), x), nil
		}
		return nil, errAt(n.p, "cannot negate a condition (bool); use !")
	case *binaryNode:
		return c.binary(n, s)
	case *callNode:
		return c.call(n, s)
	case *reduceNode:
		return c.lift(n, s)
	}
	return nil, errAt(n.at(), "unknown expression")
}

func (c *lowering) read(n *readNode, s *scope) (expr.Expr, *ParseError) {
	t, ok := c.b.tensors[n.name]
	if !ok {
		switch {
		case n.name == c.st.name:
			return nil, errAt(n.p, "%s reads itself; a stage reads only tensors defined before it", n.name)
		case c.b.names[n.name]:
			return nil, errAt(n.p, "tensor %s is read before it is defined", n.name)
		}
		return nil, errAt(n.p, "unknown tensor %s", n.name)
	}
	if len(n.index) != len(t.Shape) {
		return nil, errAt(n.p, "%s has %s but is read with %s", n.name,
			plural(len(t.Shape), "dimension", "dimensions"), plural(len(n.index), "index", "indices"))
	}
	index := make([]expr.Expr, len(n.index))
	for i, x := range n.index {
		e, err := c.lower(x, s)
		if err != nil {
			return nil, err
		}
		switch e.Type() {
		case expr.Float:
			return nil, errAt(x.at(), "index %d of %s is f32; indices are i32 (write i32(...))", i, n.name)
		case expr.Bool:
			return nil, errAt(x.at(), "index %d of %s is a condition (bool); indices are i32", i, n.name)
		}
		index[i] = e
	}
	l := &expr.Load{Src: t, Index: index}
	if !c.build {
		c.readAt[l] = n.p
	}
	return l, nil
}

func (c *lowering) binary(n *binaryNode, s *scope) (expr.Expr, *ParseError) {
	a, err := c.lower(n.a, s)
	if err != nil {
		return nil, err
	}
	b, err := c.lower(n.b, s)
	if err != nil {
		return nil, err
	}
	op := binOps[n.op]
	what := "'" + op.String() + "'"
	if n.op == tSlash {
		what = "'/'"
	}
	if op.IsLogic() {
		for _, x := range []struct {
			n node
			e expr.Expr
		}{{n.a, a}, {n.b, b}} {
			if x.e.Type() != expr.Bool {
				return nil, errAt(x.n.at(), "%s needs conditions (bool), not %s", what, x.e.Type())
			}
		}
		return expr.Bin(op, a, b), nil
	}
	if err := value(what, n.a, a); err != nil {
		return nil, err
	}
	if err := value(what, n.b, b); err != nil {
		return nil, err
	}
	if a, b, err = unify(what, n.opPos, a, b); err != nil {
		return nil, err
	}
	switch op {
	case expr.Div:
		if a.Type() == expr.Int {
			op = expr.FloorDiv
		}
	case expr.FloorDiv, expr.FloorMod:
		if a.Type() != expr.Int {
			return nil, errAt(n.opPos, "%s needs i32 operands, not f32 (use '/' for floats)", what)
		}
	}
	if err := divisor(op, n, b); err != nil {
		return nil, err
	}
	return expr.Bin(op, a, b), nil
}

func (c *lowering) call(n *callNode, s *scope) (expr.Expr, *ParseError) {
	args := make([]expr.Expr, len(n.args))
	for i, x := range n.args {
		e, err := c.lower(x, s)
		if err != nil {
			return nil, err
		}
		args[i] = e
	}
	switch n.name {
	case "min", "max":
		op := expr.Min
		if n.name == "max" {
			op = expr.Max
		}
		for i := range args {
			if err := value(n.name, n.args[i], args[i]); err != nil {
				return nil, err
			}
		}
		a, b, err := unify(n.name, n.p, args[0], args[1])
		if err != nil {
			return nil, err
		}
		return expr.Bin(op, a, b), nil
	case "select", "if_then_else":
		if args[0].Type() != expr.Bool {
			return nil, errAt(n.args[0].at(), "the condition of %s must be a comparison (bool), not %s", n.name, args[0].Type())
		}
		a, b, err := unify(n.name, n.p, args[1], args[2])
		if err != nil {
			return nil, err
		}
		return &expr.Select{Cond: args[0], T: a, F: b}, nil
	case "f32", "i32":
		if args[0].Type() == expr.Bool {
			return nil, errAt(n.args[0].at(), "cannot convert a condition (bool) with %s: use select(cond, 1, 0)", n.name)
		}
		to := expr.Float
		if n.name == "i32" {
			to = expr.Int
		}
		return &expr.Cast{To: to, A: args[0]}, nil
	}
	fn, _ := expr.IntrinsicByName(n.name)
	for i := range args {
		if err := value(n.name, n.args[i], args[i]); err != nil {
			return nil, err
		}
		f, ok := toFloat(args[i])
		if !ok {
			return nil, errAt(n.args[i].at(), "%s needs f32 arguments, not %s: write f32(%s)", n.name, args[i].Type(), short(args[i]))
		}
		args[i] = f
	}
	return &expr.Call{Fn: fn, Args: args}, nil
}
