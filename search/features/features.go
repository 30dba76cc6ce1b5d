package features

import (
	"math"
	"sync"

	"github.com/tabtune/tabtune/compiler/codegen"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

const (
	// CacheLine is the cache line size, in bytes, of the line counts.
	CacheLine = 64
	// MaxUnroll is the wasm code generator's default bound on the
	// statements one unrolled loop may expand to (wasm.Options.MaxUnroll).
	MaxUnroll = 4096
	// accumulators is how many vectors the generator's vectorized
	// reductions fold into (codegen.Config.Accumulators of wasm).
	accumulators = 4
)

var pool = sync.Pool{New: func() any { return new(extractor) }}

// Extract returns one row of Len features per store of f, in program
// order, as the code generator of m runs it. The rows share one backing
// array.
func (m Machine) Extract(f *ir.Func) [][]float32 {
	if f == nil || f.Body == nil {
		return nil
	}
	f = m.partition(f)
	x := pool.Get().(*extractor)
	x.reset()
	x.m = m
	if x.m.Lanes < 1 {
		x.m.Lanes = 1
	}
	x.pre(f.Body, 0)
	if x.nstores == 0 {
		pool.Put(x)
		return nil
	}
	data := make([]float32, x.nstores*Len)
	rows := make([][]float32, x.nstores)
	for i := range rows {
		rows[i] = data[i*Len : (i+1)*Len : (i+1)*Len]
	}
	x.rows = rows
	x.loops = x.loops[:0]
	x.prod = x.prod[:1]
	x.walk(f.Body)
	x.rows = nil
	pool.Put(x)
	return rows
}

// partition runs the code generators' first passes, which split loops
// around paddings and fuse sibling loops, so that the features see the
// loops the generator vectorizes (machines with vectors only: the CUDA
// generator does not run them).
func (m Machine) partition(f *ir.Func) *ir.Func {
	if m.Lanes < 2 {
		return f
	}
	cfg := codegen.Config{Lanes: m.Lanes, MaxUnroll: MaxUnroll}
	p, err := codegen.Partition(f, cfg)
	if err != nil {
		return f
	}
	fused, err := codegen.FuseLoops(p, cfg)
	if err != nil {
		return p
	}
	return fused
}

// loopCtx is an enclosing loop.
type loopCtx struct {
	v   *expr.Var
	ext int64
	id  int32 // index of the loop's forInfo, unique per loop of the program
}

// forInfo is how the code generator runs a loop, decided by the pre-pass.
type forInfo struct {
	kind   ir.ForKind // Serial, Parallel, Vectorized, Unrolled or ThreadBound as run
	full   float64    // vectorized: share of the iterations in full chunks
	chunk  int64      // vectorized: extent of the chunk loop when unrolled, else 0
	budget int64      // the loop's own auto_unroll_max_step
	thread ir.Thread
}

type letCtx struct {
	v   *expr.Var
	val expr.Expr
}

type ifCtx struct {
	ops  float64 // operations of the condition
	exec float64 // executions of the if
}

type allocCtx struct {
	buf   *ir.Buffer
	depth int // loops outside the allocation
}

type histEntry struct {
	buf    *ir.Buffer
	off, n int32 // the loop ids of the access's path, in x.paths
}

// extractor is the reusable working state of Extract.
type extractor struct {
	m      Machine
	loops  []loopCtx
	prod   []float64 // prod[i]: product of the extents of loops[:i]
	info   []forInfo
	next   int
	lets   []letCtx
	ifs    []ifCtx
	allocs []allocCtx
	rows   [][]float32

	nstores, storeIdx int

	// unswitch is set while canVectorize checks a store as the
	// vectorizer's unswitch would leave it.
	unswitch bool

	// per store
	ops     [nCompute]float64
	accs    []access
	dims    []dimForm
	terms   []term
	groups  []group
	order   []int
	suf     []float64
	fpCache []float64
	box     []float64
	strides []int64

	// earlier accesses, for serial reuse
	hist  []histEntry
	paths []int32
}

func (x *extractor) reset() {
	x.loops = x.loops[:0]
	x.prod = append(x.prod[:0], 1)
	x.info = x.info[:0]
	x.next = 0
	x.lets = x.lets[:0]
	x.ifs = x.ifs[:0]
	x.allocs = x.allocs[:0]
	x.nstores, x.storeIdx = 0, 0
	x.hist = x.hist[:0]
	x.paths = x.paths[:0]
}

func (x *extractor) pushLoop(f *ir.For, id int) {
	ext := max(f.Extent, 0)
	x.loops = append(x.loops, loopCtx{v: f.Var, ext: ext, id: int32(id)})
	x.prod = append(x.prod, x.prod[len(x.prod)-1]*float64(ext))
}

func (x *extractor) popLoop() {
	x.loops = x.loops[:len(x.loops)-1]
	x.prod = x.prod[:len(x.prod)-1]
}

// preRes is what the pre-pass learns of a statement: the most iterations
// of any path of nested loops (the wasm generator's steps), the number of
// statements after the generator's vectorize and unroll passes, and
// whether it stores to a local buffer.
type preRes struct {
	steps, size int64
	local       bool
}

// pre decides how the code generator runs every loop (x.info, in
// pre-order) and counts the stores. budget is the largest
// auto_unroll_max_step of the loops around s.
func (x *extractor) pre(s ir.Stmt, budget int64) preRes {
	switch n := s.(type) {
	case *ir.Store:
		x.nstores++
		return preRes{steps: 1, size: 1, local: n.Buf != nil && n.Buf.Scope == ir.Local}
	case *ir.Seq:
		r := preRes{steps: 1, size: 1}
		for _, c := range n.Stmts {
			cr := x.pre(c, budget)
			r.steps = max(r.steps, cr.steps)
			r.size = satAdd(r.size, cr.size)
			r.local = r.local || cr.local
		}
		return r
	case *ir.If:
		r := x.pre(n.Then, budget)
		r.size = satAdd(r.size, 1)
		if n.Else != nil {
			e := x.pre(n.Else, budget)
			r.steps = max(r.steps, e.steps)
			r.size = satAdd(r.size, e.size)
			r.local = r.local || e.local
		}
		return r
	case *ir.Let:
		x.lets = append(x.lets, letCtx{n.Var, n.Value})
		r := x.pre(n.Body, budget)
		x.lets = x.lets[:len(x.lets)-1]
		r.size = satAdd(r.size, 1)
		return r
	case *ir.Alloc:
		r := x.pre(n.Body, budget)
		r.size = satAdd(r.size, 1)
		return r
	case *ir.For:
		id := len(x.info)
		x.info = append(x.info, forInfo{thread: n.Thread})
		own := int64(0)
		for _, p := range n.Pragmas {
			if p.Key == ir.AutoUnrollMaxStep {
				own = p.Value
			}
		}
		x.pushLoop(n, id)
		b := x.pre(n.Body, max(budget, own))
		lanes := x.m.Lanes
		vec := n.Kind == ir.Vectorized && n.Extent >= lanes && x.canVectorize(n.Body, n.Var)
		red, fused := false, false
		if n.Kind == ir.Vectorized && n.Extent >= lanes && !vec {
			red, fused = x.vectorReduction(n.Body, n.Var)
		}
		x.popLoop()
		ext := max(n.Extent, 0)
		in := &x.info[id]
		in.budget = own
		r := preRes{steps: satMul(ext, b.steps), local: b.local}
		kind := n.Kind
		switch kind {
		case ir.Serial:
			// AutoUnroll: under a pragma, a serial loop whose nest fits
			// the budget is unrolled, and so is a loop of extent 1 that
			// carries one.
			if budget > 0 && r.steps <= budget || own > 0 && ext == 1 {
				kind = ir.Unrolled
			}
		case ir.Vectorized:
			if red {
				in.kind = ir.Vectorized
				in.full = float64(ext/lanes*lanes) / float64(ext)
				in.chunk, r.size = reductionSize(ext, lanes, b.size, fused)
				return r
			}
			if !vec {
				kind = ir.Serial
				break
			}
			// Chunks of lanes, the chunk loop unrolled when small,
			// and an unrolled scalar tail.
			m, rem := ext/lanes, ext%lanes
			in.kind = ir.Vectorized
			in.full = float64(m*lanes) / float64(ext)
			lane := satAdd(b.size, 1)
			chunk := satAdd(lane, 1)
			if (m <= 4 || (m <= 16 && b.local)) && satMul(m, lane) <= MaxUnroll {
				in.chunk = m
				chunk = satAdd(satMul(m, lane), 1)
			}
			r.size = chunk
			if rem > 0 {
				tail := satAdd(b.size, 1)
				if satMul(rem, b.size) <= MaxUnroll {
					tail = satAdd(satMul(rem, b.size), 1)
				}
				r.size = satAdd(satAdd(chunk, tail), 1)
			}
			return r
		}
		if kind == ir.Unrolled {
			if satMul(ext, b.size) <= MaxUnroll {
				in.kind = ir.Unrolled
				r.size = satAdd(satMul(ext, b.size), 1)
				return r
			}
			kind = ir.Serial
		}
		in.kind = kind
		r.size = satAdd(b.size, 1)
		return r
	}
	return preRes{steps: 1, size: 1}
}

// walk visits the program in the pre-pass's order and writes the row of
// every store.
func (x *extractor) walk(s ir.Stmt) {
	switch n := s.(type) {
	case *ir.Store:
		x.store(n)
	case *ir.Seq:
		for _, c := range n.Stmts {
			x.walk(c)
		}
	case *ir.If:
		x.ifs = append(x.ifs, ifCtx{ops: float64(countOps(n.Cond)), exec: x.prod[len(x.loops)]})
		x.walk(n.Then)
		if n.Else != nil {
			x.walk(n.Else)
		}
		x.ifs = x.ifs[:len(x.ifs)-1]
	case *ir.Let:
		x.lets = append(x.lets, letCtx{n.Var, n.Value})
		x.walk(n.Body)
		x.lets = x.lets[:len(x.lets)-1]
	case *ir.Alloc:
		x.allocs = append(x.allocs, allocCtx{buf: n.Buf, depth: len(x.loops)})
		x.walk(n.Body)
		x.allocs = x.allocs[:len(x.allocs)-1]
	case *ir.For:
		id := x.next
		x.next++
		x.pushLoop(n, id)
		x.walk(n.Body)
		x.popLoop()
	}
}

// store writes the row of one store.
func (x *extractor) store(s *ir.Store) {
	row := x.rows[x.storeIdx]
	x.storeIdx++
	depth := len(x.loops)
	exec := x.prod[depth]

	// Suffix products: suf[i] is the product of the extents of loops[i:].
	x.suf = growF(x.suf, depth+1)
	x.suf[depth] = 1
	for i := depth - 1; i >= 0; i-- {
		x.suf[i] = x.suf[i+1] * float64(x.loops[i].ext)
	}

	// Group 1: operations, and the accesses on the way.
	x.ops = [nCompute]float64{}
	x.accs, x.dims, x.terms, x.groups = x.accs[:0], x.dims[:0], x.terms[:0], x.groups[:0]
	if s.Buf != nil {
		x.addAccess(s.Buf, s.Index, true)
	}
	for _, ix := range s.Index {
		x.count(ix)
	}
	readsBefore := x.readCount()
	x.count(s.Value)
	valueReads := x.readCount() - readsBefore
	for i := fFloatMad; i <= fCast; i++ {
		row[i] = slog(x.ops[i] * exec)
	}
	guardOps := 0.0
	for _, c := range x.ifs {
		guardOps += c.ops * c.exec
	}
	row[fGuardOps] = slog(guardOps)
	row[fGuards] = slog(float64(len(x.ifs)))

	// Group 2: loops.
	x.loopFeatures(row)

	// Group 3: buffers.
	isUpdate := false
	for i := range x.accs {
		a := &x.accs[i]
		if a.buf == s.Buf && a.read && a.write {
			isUpdate = true
		}
	}
	x.group()
	bytes, unique := x.bufferFeatures(row, depth, exec)

	// Group 4: allocations.
	x.allocFeatures(row, s)

	// Group 5: the rest.
	flops := (x.ops[fFloatAddSub] + x.ops[fFloatMul] + x.ops[fFloatDiv] + x.ops[fFloatMinMax] +
		x.ops[fFloatCmp] + x.ops[fFloatMathFunc]) * exec
	row[fFlops] = slog(flops)
	if bytes > 0 {
		row[fArithIntensity] = slog(flops / bytes)
	}
	if unique > 0 {
		row[fArithIntensityUnique] = slog(flops / unique)
	}
	row[fIsReductionUpdate] = oneIf(isUpdate)
	row[fValueIsConst] = oneIf(valueReads == 0)
	row[fNumStores] = slog(float64(x.nstores))
	if x.nstores > 1 {
		row[fStorePos] = float32(x.storeIdx-1) / float32(x.nstores-1)
	}
}

// readCount is the number of read accesses collected so far.
func (x *extractor) readCount() int {
	n := 0
	for i := range x.accs {
		n += x.accs[i].reads
	}
	return n
}

// count adds the operations of e to x.ops and its loads to the accesses.
func (x *extractor) count(e expr.Expr) {
	switch n := e.(type) {
	case *expr.Binary:
		fl := n.A.Type() == expr.Float
		switch n.Op {
		case expr.Add, expr.Sub:
			if fl {
				x.ops[fFloatAddSub]++
				if isFloatMul(n.A) || isFloatMul(n.B) {
					x.ops[fFloatMad]++
				}
			} else {
				x.ops[fIntAddSub]++
			}
		case expr.Mul:
			x.ops[pick(fl, fFloatMul, fIntMul)]++
		case expr.Div, expr.FloorDiv, expr.FloorMod:
			x.ops[pick(fl, fFloatDiv, fIntDivMod)]++
		case expr.Min, expr.Max:
			x.ops[pick(fl, fFloatMinMax, fIntMinMax)]++
		case expr.And, expr.Or:
			x.ops[fBoolOp]++
		default:
			x.ops[pick(fl, fFloatCmp, fIntCmp)]++
		}
		x.count(n.A)
		x.count(n.B)
	case *expr.Not:
		x.ops[fBoolOp]++
		x.count(n.A)
	case *expr.Select:
		x.ops[fSelect]++
		x.count(n.Cond)
		x.count(n.T)
		x.count(n.F)
	case *expr.Cast:
		x.ops[fCast]++
		x.count(n.A)
	case *expr.Call:
		x.ops[fFloatMathFunc]++
		for _, a := range n.Args {
			x.count(a)
		}
	case *expr.Load:
		if b, ok := n.Src.(*ir.Buffer); ok {
			x.addAccess(b, n.Index, false)
		}
		for _, ix := range n.Index {
			x.count(ix)
		}
	}
}

// countOps counts the operations of a condition.
func countOps(e expr.Expr) int {
	switch n := e.(type) {
	case *expr.Binary:
		return 1 + countOps(n.A) + countOps(n.B)
	case *expr.Not:
		return 1 + countOps(n.A)
	case *expr.Select:
		return 1 + countOps(n.Cond) + countOps(n.T) + countOps(n.F)
	case *expr.Cast:
		return 1 + countOps(n.A)
	case *expr.Call:
		c := 1
		for _, a := range n.Args {
			c += countOps(a)
		}
		return c
	case *expr.Load:
		c := 0
		for _, a := range n.Index {
			c += countOps(a)
		}
		return c
	}
	return 0
}

func isFloatMul(e expr.Expr) bool {
	b, ok := e.(*expr.Binary)
	return ok && b.Op == expr.Mul && b.A.Type() == expr.Float
}

func pick(fl bool, f, i int) int {
	if fl {
		return f
	}
	return i
}

// loopFeatures writes group 2.
func (x *extractor) loopFeatures(row []float32) {
	type kindAcc struct {
		num       int
		prod, len float64
		at        int
	}
	vec := kindAcc{prod: 1, at: -1}
	unr := kindAcc{prod: 1, at: -1}
	par := kindAcc{prod: 1, at: -1}
	full := 0.0
	gpu := false
	var threads [ir.VThread - ir.BlockX + 1]float64 // extents bound to BlockX..VThread
	for i := range threads {
		threads[i] = 1
	}
	budget := int64(0)
	add := func(k *kindAcc, ext float64, at int) {
		k.num++
		k.prod *= ext
		k.len = ext
		k.at = at
	}
	for i, l := range x.loops {
		in := &x.info[l.id]
		ext := float64(l.ext)
		switch in.kind {
		case ir.Vectorized:
			add(&vec, ext, i)
			full = in.full
			if in.chunk > 0 {
				add(&unr, float64(in.chunk), i)
			}
		case ir.Unrolled:
			add(&unr, ext, i)
		case ir.Parallel:
			add(&par, ext, i)
		case ir.ThreadBound:
			gpu = true
			if in.thread.Bound() {
				threads[in.thread-ir.BlockX] *= ext
			}
		}
		budget = max(budget, in.budget)
	}
	put := func(k kindAcc, at int) {
		row[at] = slog(float64(k.num))
		if k.num > 0 {
			row[at+1] = slog(k.prod)
			row[at+2] = slog(k.len)
		}
	}
	put(vec, fVecNum)
	put(unr, fUnrollNum)
	put(par, fParallelNum)
	row[fVecFull] = float32(full)
	row[fVecPos+x.position(vec.at)] = 1
	row[fUnrollPos+x.position(unr.at)] = 1
	row[fParallelPos+x.position(par.at)] = 1
	row[fIsGPU] = oneIf(gpu)
	for i, t := range threads {
		row[fBlockX+i] = slog(t)
	}
	row[fAutoUnroll] = slog(float64(budget))
	depth := len(x.loops)
	row[fOuterProd] = slog(x.prod[depth])
	row[fNumLoops] = slog(float64(depth))
	if depth > 0 {
		row[fInnerLen] = slog(float64(x.loops[depth-1].ext))
	}
}

// position is where the variable of loop at appears in the stored index.
func (x *extractor) position(at int) int {
	if at < 0 {
		return posNone
	}
	if len(x.accs) == 0 || !x.accs[0].write {
		return posAbsent
	}
	a := &x.accs[0]
	found, dim := 0, 0
	for d := range a.index {
		if hasBit(x.dims[int(a.d0)+d].mask, at) {
			found++
			dim = d
		}
	}
	switch {
	case found == 0:
		return posAbsent
	case found > 1:
		return posMixed
	case dim == len(a.index)-1:
		return posInner
	case dim == 0:
		return posOuter
	}
	return posMiddle
}

// allocFeatures writes group 4.
func (x *extractor) allocFeatures(row []float32, s *ir.Store) {
	var total float64
	var byScope [3]float64
	for _, a := range x.allocs {
		b := bufBytes(a.buf)
		total += b
		if int(a.buf.Scope) < len(byScope) {
			byScope[a.buf.Scope] += b
		}
	}
	row[fAllocNum] = slog(float64(len(x.allocs)))
	row[fAllocBytes] = slog(total)
	row[fAllocGlobalBytes] = slog(byScope[ir.Global])
	row[fAllocLocalBytes] = slog(byScope[ir.Local])
	row[fAllocSharedBytes] = slog(byScope[ir.Shared])
	if n := len(x.allocs); n > 0 {
		row[fAllocOuterProd] = slog(x.prod[x.allocs[n-1].depth])
	}
	for i := len(x.allocs) - 1; i >= 0; i-- {
		a := x.allocs[i]
		if a.buf == s.Buf {
			row[fDstAllocBytes] = slog(bufBytes(a.buf))
			row[fDstAllocOuterProd] = slog(x.prod[a.depth])
			row[fDstAllocInnerProd] = slog(x.suf[a.depth])
			break
		}
	}
	if s.Buf != nil {
		switch s.Buf.Scope {
		case ir.Global:
			row[fDstScopeGlobal] = 1
		case ir.Local:
			row[fDstScopeLocal] = 1
		case ir.Shared:
			row[fDstScopeShared] = 1
		}
	}
}

// elemBytes is the size of one element of a type.
func elemBytes(t expr.Type) float64 {
	if t == expr.Bool {
		return 1
	}
	return 4
}

func bufBytes(b *ir.Buffer) float64 { return bufElems(b) * elemBytes(b.DType) }

// bufElems is the number of elements b's memory holds (ir.Buffer.Elems
// without building the strides).
func bufElems(b *ir.Buffer) float64 {
	n := int64(1)
	if b.Strides == nil {
		for _, d := range b.Shape {
			n *= max(d, 1)
		}
		return float64(n)
	}
	for i, d := range b.Shape {
		n += (max(d, 1) - 1) * b.Strides[i]
	}
	return float64(max(n, 1))
}

// slog is log2(1+x), and -log2(1-x) below zero; never NaN or infinite.
func slog(v float64) float32 {
	switch {
	case v == 0 || v != v:
		return 0
	case v < 0:
		return -slog(-v)
	case v > math.MaxFloat64:
		return 1024
	}
	return float32(log2(1 + v))
}

// log2 is math.Log2 for x >= 1, several times faster and as accurate as
// a float32 needs: x = m·2^e with m in [√½, √2), and
// ln m = 2·atanh(t), t = (m-1)/(m+1), |t| < 0.172, by its series.
func log2(x float64) float64 {
	b := math.Float64bits(x)
	e := float64(int64(b>>52&0x7ff) - 1023)
	m := math.Float64frombits(b&(1<<52-1) | 1023<<52)
	if m > math.Sqrt2 {
		m *= 0.5
		e++
	}
	t := (m - 1) / (m + 1)
	t2 := t * t
	ln := 2 * t * (1 + t2*(1.0/3+t2*(1.0/5+t2*(1.0/7+t2*(1.0/9+t2*(1.0/11))))))
	return e + ln*math.Log2E
}

func oneIf(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

func growF(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n, 2*n)
	}
	return s[:n]
}

func satMul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
