package features

import "github.com/tabtune/tabtune/compiler/ir"

// Version is the version of the feature layout. Change it whenever a
// feature is added, removed, reordered or computed differently, so that a
// cost model trained on one layout is never fed another.
const Version = 2

// Position of the innermost annotated loop of a kind relative to the
// dimensions of the stored index (the one-hot "_pos_" features).
const (
	posNone   = iota // no such loop around the store
	posInner         // its variable indexes the last dimension of the store only
	posMiddle        // a middle dimension only
	posOuter         // the first dimension only (of a buffer with 2+ dimensions)
	posAbsent        // no dimension: a reduction loop, or one outside the stored region
	posMixed         // several dimensions (a fused loop)
	numPos
)

var posNames = [numPos]string{"none", "inner", "middle", "outer", "absent", "mixed"}

// Group 1: arithmetic, per execution of the store times its executions.
const (
	fFloatMad = iota
	fFloatAddSub
	fFloatMul
	fFloatDiv
	fFloatMinMax
	fFloatCmp
	fFloatMathFunc
	fSelect
	fBoolOp
	fIntAddSub
	fIntMul
	fIntDivMod
	fIntMinMax
	fIntCmp
	fCast
	fGuardOps
	fGuards
	nCompute
)

// Group 2: loop structure.
const (
	fVecNum = nCompute + iota
	fVecProd
	fVecLen
	fVecFull
	fVecPos // numPos slots
)

const (
	fUnrollNum = fVecPos + numPos + iota
	fUnrollProd
	fUnrollLen
	fUnrollPos // numPos slots
)

const (
	fParallelNum = fUnrollPos + numPos + iota
	fParallelProd
	fParallelLen
	fParallelPos // numPos slots
)

const (
	fIsGPU = fParallelPos + numPos + iota
	fBlockX
	fBlockY
	fBlockZ
	fThreadX
	fThreadY
	fThreadZ
	fVThread
	fAutoUnroll
	fOuterProd
	fNumLoops
	fInnerLen
	fNumBuffers
	fBuffers // MaxBuffers slots of nBuf features
)

// MaxBuffers is how many accessed buffers get features, the ones with the
// most bytes touched first.
const MaxBuffers = 5

// Per-buffer features, at fBuffers + slot*nBuf.
const (
	bAccRead = iota
	bAccWrite
	bAccReadWrite
	bScopeGlobal
	bScopeLocal
	bScopeShared
	bBytes
	bUniqueBytes
	bLines
	bUniqueLines
	bReuseLoop
	bReuseSerial
	bReuseNone
	bReuseDisIter
	bReuseDisBytes
	bReuseCt
	bBytesDReuseCt
	bUniqueBytesDReuseCt
	bLinesDReuseCt
	bUniqueLinesDReuseCt
	bStride
	bBytesDUniqueBytes
	bLinesDUniqueLines
	bReuseL1
	bReuseL2
	nBuf
)

// Group 4: allocations; group 5: the rest.
const (
	fAllocNum = fBuffers + MaxBuffers*nBuf + iota
	fAllocBytes
	fAllocGlobalBytes
	fAllocLocalBytes
	fAllocSharedBytes
	fAllocOuterProd
	fDstAllocBytes
	fDstAllocOuterProd
	fDstAllocInnerProd
	fDstScopeGlobal
	fDstScopeLocal
	fDstScopeShared
	fFlops
	fArithIntensity
	fArithIntensityUnique
	fIsReductionUpdate
	fValueIsConst
	fNumStores
	fStorePos
	Len // the number of features of a store
)

var bufNames = [nBuf]string{
	bAccRead:             "acc_read",
	bAccWrite:            "acc_write",
	bAccReadWrite:        "acc_readwrite",
	bScopeGlobal:         "scope_global",
	bScopeLocal:          "scope_local",
	bScopeShared:         "scope_shared",
	bBytes:               "bytes",
	bUniqueBytes:         "unique_bytes",
	bLines:               "lines",
	bUniqueLines:         "unique_lines",
	bReuseLoop:           "reuse_loop_multiple_read",
	bReuseSerial:         "reuse_serial_multiple_read",
	bReuseNone:           "reuse_none",
	bReuseDisIter:        "reuse_dis_iter",
	bReuseDisBytes:       "reuse_dis_bytes",
	bReuseCt:             "reuse_ct",
	bBytesDReuseCt:       "bytes_d_reuse_ct",
	bUniqueBytesDReuseCt: "unique_bytes_d_reuse_ct",
	bLinesDReuseCt:       "lines_d_reuse_ct",
	bUniqueLinesDReuseCt: "unique_lines_d_reuse_ct",
	bStride:              "stride",
	bBytesDUniqueBytes:   "bytes_d_unique_bytes",
	bLinesDUniqueLines:   "lines_d_unique_lines",
	bReuseL1:             "reuse_l1",
	bReuseL2:             "reuse_l2",
}

var names = buildNames()

func buildNames() []string {
	n := make([]string, Len)
	set := func(i int, s string) { n[i] = s }
	for i, s := range []string{
		"float_mad", "float_addsub", "float_mul", "float_div", "float_minmax",
		"float_cmp", "float_math_func", "select", "bool_op", "int_addsub",
		"int_mul", "int_divmod", "int_minmax", "int_cmp", "cast", "guard_ops", "guards",
	} {
		set(fFloatMad+i, s)
	}
	kinds := []struct {
		prefix string
		at     int
		extra  []string
	}{
		{"vec", fVecNum, []string{"num", "prod", "len", "full"}},
		{"unroll", fUnrollNum, []string{"num", "prod", "len"}},
		{"parallel", fParallelNum, []string{"num", "prod", "len"}},
	}
	for _, k := range kinds {
		i := k.at
		for _, e := range k.extra {
			set(i, k.prefix+"_"+e)
			i++
		}
		for p := range numPos {
			set(i+p, k.prefix+"_pos_"+posNames[p])
		}
	}
	set(fIsGPU, "is_gpu")
	for t := ir.BlockX; t <= ir.VThread; t++ {
		set(fBlockX+int(t-ir.BlockX), t.String()+"_len")
	}
	for i, s := range []string{
		ir.AutoUnrollMaxStep.String(), "outer_prod", "num_loops", "innermost_len", "num_buffers",
	} {
		set(fAutoUnroll+i, s)
	}
	for b := range MaxBuffers {
		for j, s := range bufNames {
			set(fBuffers+b*nBuf+j, "b"+string(rune('0'+b))+"."+s)
		}
	}
	for i, s := range []string{
		"alloc_num", "alloc_bytes", "alloc_global_bytes", "alloc_local_bytes",
		"alloc_shared_bytes", "alloc_outer_prod", "dst_alloc_bytes",
		"dst_alloc_outer_prod", "dst_alloc_inner_prod", "dst_scope_global",
		"dst_scope_local", "dst_scope_shared", "flops", "arith_intensity",
		"arith_intensity_unique", "is_reduction_update", "value_is_const",
		"num_stores", "store_pos",
	} {
		set(fAllocNum+i, s)
	}
	return n
}

// Names returns the names of the features, in the order of a row.
func Names() []string { return append([]string(nil), names...) }
