// Package features turns a lowered program into the feature vectors of the
// learned cost model, in the spirit of Ansor's per-store features (TVM
// src/auto_scheduler/feature.cc), computed our own way.
//
// Extract gives one row of Len float32 per innermost statement, that is per
// ir.Store, in program order; the model predicts a score per row and sums
// them. Names gives the name of each column; Version changes whenever the
// layout does. Counts, lengths, products, bytes and ratios are written as
// log2(1+x); one-hot and 0/1 flags, and the shares vec_full and store_pos
// (from 0 to 1), are written as they are.
// No value is ever NaN or infinite.
//
// The features describe a program as the code generator of a target runs
// it on that target's processor (a Machine: MachineOf a target). The loops
// are described as the generator will run them, not only as annotated
// (see compiler/codegen: partition.go, vectorize.go and autounroll.go).
// On machines with vectors the program is first partitioned as the
// generator partitions it, so a padding's stores appear once per range
// of the loops it was split into (one row each). The generator's transpose
// pass (a layout change whose lanes load with a large stride, grouped by
// four along a loop that is contiguous in the load) is not replayed: it
// adds no statement and reads the same elements, so the rows describe
// the copy as written, its load's stride that of the lanes (the model
// learns what a transposed copy costs from its measurements, as it does
// for a gather or a shuffled stride-2 load, which no feature tells apart
// either). A vectorized
// loop counts as vectorized only when the generator can run it Lanes
// lanes at a time (4 for wasm-simd, 8 for AVX2, 16 for AVX-512: extent at
// least Lanes, a straight-line body of float stores whose index moves
// with the loop, integer parts linear in it); otherwise it is a serial
// loop. Its chunk loop, when small enough to be unrolled, counts as an
// unrolled loop of extent/Lanes. The reuse of a buffer is placed in the
// target's L1 or L2 cache by its reuse distance. A cost model learns from
// one target's features only (search/tune trains on the records of its
// own target). Serial loops under an auto_unroll_max_step
// pragma whose nest fits the budget count as unrolled, and an unrolled loop
// whose expansion would exceed MaxUnroll statements counts as serial.
//
// The features of a store, by group:
//
//  1. Arithmetic (17). The operations of the stored value and of all index
//     expressions (the store's and its loads'), per execution, times the
//     number of executions (the product of the extents of the enclosing
//     loops): float_mad (a float add/sub of a float product), float_addsub,
//     float_mul, float_div, float_minmax, float_cmp, float_math_func
//     (exp, log, sqrt, tanh, sigmoid, abs, pow), select, bool_op (and, or,
//     not), int_addsub, int_mul, int_divmod (floor division and modulo),
//     int_minmax, int_cmp, cast; guard_ops, the operations of the
//     conditions of the enclosing ifs times the executions of each if, and
//     guards, the number of enclosing ifs.
//
//  2. Loops (41). For each of vectorize, unroll and parallel: _num, the
//     number of such loops around the store; _prod, the product of their
//     extents; _len, the extent of the innermost one; _pos_*, one-hot, where
//     the innermost one's variable appears in the stored index: none (no
//     such loop), inner (last dimension only), middle, outer (first
//     dimension only), absent (a reduction loop or a loop outside the
//     stored region) or mixed (several dimensions). vec_full is the share
//     of the innermost vectorized loop's iterations that run in full
//     chunks of Lanes (the rest is a scalar tail). is_gpu is 1 under a GPU
//     thread binding; blockIdx.x/y/z_len, threadIdx.x/y/z_len and
//     vthread_len are the products of the extents bound to each (1 when
//     none). auto_unroll_max_step is the largest budget of the enclosing
//     pragmas; outer_prod the product of all enclosing extents; num_loops
//     their number; innermost_len the extent of the innermost one;
//     num_buffers the number of distinct buffers the store accesses.
//
//  3. Buffers (MaxBuffers × 25). Per buffer the store reads or writes, the
//     MaxBuffers with the most bytes touched first (then unique bytes, then
//     the order of access), missing ones all zero, under "bK.":
//     acc_read/acc_write/acc_readwrite (one-hot); scope_global/local/shared
//     (one-hot); bytes, the bytes its accesses move over the whole nest
//     (executions × accesses × element size); unique_bytes, the distinct
//     bytes touched; lines, the 64-byte cache lines the accesses touch
//     over the nest (the iterations of the loops down to the innermost one
//     that moves the address, times the share of a line one step of that
//     loop moves, at least one); unique_lines, the distinct cache lines
//     (contiguous runs of the touched box, rounded up to lines); the reuse
//     type, one-hot: loop_multiple_read (an enclosing loop does not move
//     the address: the innermost such loop, with all loops inside it
//     moving it), serial_multiple_read (an earlier store in the program
//     accessed the buffer under the same loop, the innermost such loop),
//     or none; reuse_dis_iter, the iterations between two uses (the product
//     of the extents inside the reuse loop); reuse_dis_bytes, the bytes all
//     the store's accesses touch in one iteration of the reuse loop;
//     reuse_ct, how many times the data is used again (the reuse loop's
//     extent, or the number of earlier stores); bytes, unique_bytes, lines
//     and unique_lines divided by reuse_ct (times 2 when there is no reuse,
//     as Ansor does); stride, in elements, of the innermost loop that moves
//     the address; bytes_d_unique_bytes and lines_d_unique_lines; reuse_l1
//     and reuse_l2, 1 when there is reuse and reuse_dis_bytes fits the
//     target's L1 (L2) data cache, so the data is read again from there.
//
//     Footprints are computed analytically, not by simulation: each index
//     is a linear function of the loop variables where it can be (its
//     coefficient per loop), and the touched region at a loop is the box
//     that the indices span while that loop and the loops inside it run and
//     the loops outside stay fixed, per dimension no larger than the
//     dimension nor than the product of the extents of the loops the index
//     uses. Floor division and modulo fall back to interval arithmetic
//     (conservative boxes), and an index that even that cannot bound spans
//     its whole dimension.
//
//  4. Allocations (12). alloc_num, the number of buffers allocated around
//     the store; alloc_bytes and alloc_global/local/shared_bytes, their
//     total size and the size per scope; alloc_outer_prod, the product of
//     the extents of the loops outside the innermost allocation (how often
//     it is made); for the stored buffer, when allocated around the store,
//     dst_alloc_bytes, dst_alloc_outer_prod and dst_alloc_inner_prod (the
//     store's executions per allocation); dst_scope_global/local/shared
//     (one-hot, the stored buffer's scope).
//
//  5. Other (7). flops, the float operations over the nest; arith_intensity,
//     flops per byte touched; arith_intensity_unique, flops per unique byte;
//     is_reduction_update, 1 when the store reads its own destination at the
//     same index; value_is_const, 1 when the stored value reads no buffer
//     (an initialization); num_stores, the number of stores of the program;
//     store_pos, the store's position among them, from 0 to 1.
//
// Extract is one pass over the program after a cheap pre-pass for the code
// generator's loop decisions, with stacks of loop, allocation and
// condition contexts; each index expression is analysed once into its
// linear form, which every footprint then reuses. The working state is
// pooled, so a call allocates little more than its result.
package features
