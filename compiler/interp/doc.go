// Package interp is the reference semantics of the compiler: an interpreter
// of the loop IR (package ir) and a direct evaluator of tensor expressions
// (package te) that uses no schedule at all.
//
// The interpreter is the living definition of what the IR means. Where a
// code generator and the interpreter disagree, the code generator is wrong
// (or the interpreter and this comment must change together). The rules:
//
//   - Integers (indices, let and loop variables, i32 elements once loaded)
//     are int64. FloorDiv and FloorMod round toward negative infinity
//     (expr.FloorDivInt, expr.FloorModInt); a zero divisor is an error.
//     Int overflow wraps. Int Div is an error: integer division is FloorDiv.
//   - Floats are float32 and every operation rounds to float32 on its own:
//     a*b+c is never fused. Div is IEEE division (x/0 is ±inf or NaN).
//     Min and Max are expr.MinF32 and expr.MaxF32: max(a, b) = a < b ? b : a
//     and min(a, b) = b < a ? b : a, so a NaN or zero operand order matters.
//     A max or min reduction (acc = max(acc, v)) skips NaN values; poison
//     read into its accumulator survives, NaN among its values does only
//     where every value is NaN (the result is then the init). That is
//     why Check poisons a program of maxima with +Inf (PoisonFor).
//   - Calls (exp, log, sqrt, tanh, sigmoid = 1/(1+exp(-x)), abs, pow) are
//     computed in float64 and rounded to float32.
//   - Select evaluates its condition and then only the chosen branch, so a
//     guarded out-of-bounds read (padding) is fine. And and Or short-circuit.
//   - Casts: Int to Float is float32(v); Float to Int truncates toward zero,
//     saturating out-of-range values, and NaN becomes math.MinInt64 (never a
//     valid index); Bool to Int or Float is 0 or 1; Int or Float to Bool is
//     v != 0.
//   - Every load and store is bounds-checked per dimension (0 <= index <
//     shape[d]) before the buffer's strides are applied; a violation is an
//     error naming the buffer, the index values, the loop variables and the
//     statement. Storing an Int into an i32 buffer that does not fit in 32
//     bits is an error.
//   - Loops of every kind (serial, parallel, vectorized, unrolled, bound to
//     a thread index) run serially, in increasing order of their variable.
//     A loop with extent <= 0 runs no iteration.
//   - Alloc makes a buffer exist while its body runs. Its memory
//     (Buffer.Elems elements, laid out by its strides) is filled with
//     poison each time the Alloc is entered: Options.Poison (NaN unless
//     set) for f32 and PoisonI32 for i32, so reading memory that was never
//     written shows up as a mismatch (or, for an index, as an
//     out-of-bounds error).
//   - Reading or writing a buffer that is not in scope (not a parameter and
//     not allocated by an enclosing Alloc), storing to an input parameter,
//     an unbound variable and an ill-typed expression are errors found
//     before the function runs.
//   - A step budget (Options.MaxSteps: one step per loop iteration, store,
//     if and let executed) stops runaway programs with ErrStepLimit.
//
// Eval evaluates a te.DAG stage by stage in plain nested loops over all the
// points of each stage, in the DAG's topological order. A reduction starts
// from Reduction.InitValue() (evaluated at the spatial point) and folds the
// body with the semantics of ReduceOp.Combine (float32 add, or max/min as
// above, accumulator first) in row-major order over the reduction axes as listed. Eval is the
// reference that every schedule of the DAG, once lowered to the IR and run
// by Run, must reproduce within the tolerance of Compare; Check does exactly
// that.
//
// Both evaluators share one expression compiler: an expression is compiled
// once per statement (or stage) into closures over a frame that holds the
// variables in slots and the buffers' memory, so evaluating an element
// allocates nothing. Errors found while running are recorded in the frame
// (the first wins) and checked after each statement; nothing panics, and a
// panic from a bug in this package is recovered and returned as an error.
package interp
