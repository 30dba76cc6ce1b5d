package ui

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Lesson is one step of the built-in course, in the manner of Halide's
// tutorials: one expression, a goal and a hint. Goals are speedups over
// the naive schedule measured in the same run, so they hold on any
// machine.
type Lesson struct {
	ID, Title string
	// Text explains the idea; Hint says which steps reach the goal.
	Text, Hint string
	Workload   string
	// Goal is the speedup over the naive schedule that completes the
	// lesson; Auto lessons complete when the auto-scheduler's schedule
	// is shown beside the learner's.
	Goal float64
	Auto bool
	// Attached, when set, is the goal instead of a speed: a run of a
	// schedule in which that stage is computed at a loop of another.
	Attached string
	// Solution is one schedule that reaches the goal, as steps in the
	// JSON form ("Show a solution" applies it).
	Solution string
}

// Lessons is the course.
var Lessons = []Lesson{
	{ID: "order", Title: "1. Loop order",
		Text:     "C[i, j] sums A[i, k] * B[k, j] over k. With k innermost, each step of k jumps a whole row of B (2 KB at 512 columns): almost every load misses the cache. Move k out of the innermost position so that j, which walks B and C along a row, runs innermost.",
		Hint:     "reorder stage C: move loop 2 (k) to position 1, so the nest is i, k, j. Then Run.",
		Workload: "gmm:M=512,N=512,K=512", Goal: 2, Solution: `[{"kind":"reorder","stage":2,"order":[0,2,1]}]`},
	{ID: "tile", Title: "2. Tiling",
		Text:     "A tile is a block of the output computed together, so that the rows of B it reads stay in the cache. Split i and j into outer and inner loops, then put the inner loops inside.",
		Hint:     "split C's i by 16 and j by 64, reorder to i.0, j.0, k, i.1, j.1. Then Run.",
		Workload: "gmm:M=256,N=256,K=256", Goal: 1.5, Solution: `[{"kind":"split","stage":2,"iter":0,"lengths":[16],"inner_to_outer":true},{"kind":"split","stage":2,"iter":2,"lengths":[64],"inner_to_outer":true},{"kind":"reorder","stage":2,"order":[0,2,4,1,3]}]`},
	{ID: "vector", Title: "3. Vectorizing",
		Text:     "WebAssembly SIMD works on four floats at once. The innermost loop, if it walks memory contiguously and has a multiple of four iterations, can become one vector operation per four elements.",
		Hint:     "reorder k before j, split j by 4 and vectorize the inner j (j.1). Then Run.",
		Workload: "gmm:M=256,N=256,K=256", Goal: 2, Solution: `[{"kind":"reorder","stage":2,"order":[0,2,1]},{"kind":"split","stage":2,"iter":2,"lengths":[4],"inner_to_outer":true},{"kind":"annotate","stage":2,"iter":3,"ann":"vectorize"}]`},
	{ID: "register", Title: "4. Register tiles with cache_write",
		Text:     "cache_write computes C into a small local buffer (registers) and writes it out once. Tile the local stage so that a few rows by a few vectors of C stay in registers while k runs.",
		Hint:     "cache_write C, then tile C.local's i and j, put k outside the inner tiles, vectorize the innermost j and compute_at C.local into C's tile loop.",
		Workload: "gmm:M=256,N=256,K=256", Goal: 4, Solution: `[{"kind":"cache_write","stage":2,"scope":"local"},{"kind":"split","stage":3,"iter":0,"lengths":[4],"inner_to_outer":true},{"kind":"split","stage":3,"iter":2,"lengths":[16],"inner_to_outer":true},{"kind":"reorder","stage":3,"order":[0,2,1,3]},{"kind":"compute_at","stage":2,"target":3,"target_iter":1},{"kind":"reorder","stage":2,"order":[2,0,1]},{"kind":"split","stage":2,"iter":2,"lengths":[4],"inner_to_outer":true},{"kind":"annotate","stage":2,"iter":3,"ann":"vectorize"},{"kind":"annotate","stage":2,"iter":2,"ann":"unroll"},{"kind":"annotate","stage":2,"iter":1,"ann":"unroll"}]`},
	{ID: "producer", Title: "5. Producers with compute_at",
		Text:     "D = max(C, 0) reads C. By default C is computed whole, written to memory, and read back. compute_at moves C's computation inside a loop of D, so each block of C is used while it is still in the cache. Here the matrix multiply dominates, so the speed barely moves: the goal is the structure.",
		Hint:     "split D's i by 8, then compute_at C into D's loop i.0. Then Run.",
		Workload: "A = input(f32, [128, 64])\nB = input(f32, [64, 128])\nC[i, j] = sum(A[i, k] * B[k, j], k)\nD[i, j] = max(C[i, j], 0.0)\n", Attached: "C", Solution: `[{"kind":"split","stage":3,"iter":0,"lengths":[8],"inner_to_outer":true},{"kind":"compute_at","stage":2,"target":3,"target_iter":0}]`},
	{ID: "fusion", Title: "6. Fusing element-wise stages",
		Text:     "An element-wise stage needs no loops of its own: compute_inline substitutes it into its reader, so the intermediate tensor never exists.",
		Hint:     "compute_inline stage B (the scaled input) into C. Then Run.",
		Workload: "A = input(f32, [512, 512])\nB[i, j] = A[i, j] * 2.0\nC[i, j] = B[i, j] + 1.0\n", Goal: 1.1, Solution: `[{"kind":"compute_inline","stage":1}]`},
	{ID: "auto", Title: "7. The auto-scheduler",
		Text:     "The auto-scheduler deduces sketches like the ones you wrote by hand, fills their knobs, and searches with a learned cost model. Compare your schedule with what it finds.",
		Hint:     "apply a few steps, Run, then press Compare with the auto-scheduler.",
		Workload: "gmm:M=256,N=256,K=256", Auto: true},
}

// LessonState is the Lessons view and the lesson in the playground.
type LessonState struct {
	Done   map[string]bool
	Active string
	Msg    string
}

// load reads progress kept in the browser (lesson ids, comma-separated).
func (l *LessonState) load(s string) {
	for _, id := range strings.Split(s, ",") {
		if id != "" {
			l.Done[id] = true
		}
	}
}

// save writes progress for load.
func (l *LessonState) save() string {
	var ids []string
	for id := range l.Done {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return strings.Join(ids, ",")
}

// Lesson returns the active lesson, or nil.
func (l *LessonState) Lesson() *Lesson {
	for i := range Lessons {
		if Lessons[i].ID == l.Active {
			return &Lessons[i]
		}
	}
	return nil
}

// Progress is the course's progress in words.
func (l *LessonState) Progress() string {
	return fmt.Sprintf("%d of %d lessons done", len(l.Done), len(Lessons))
}

// GoalText is a lesson's goal in words.
func (ls Lesson) GoalText() string {
	if ls.Attached != "" {
		return fmt.Sprintf("goal: compute %s inside a loop of its reader, and run it", ls.Attached)
	}
	if ls.Auto {
		return "goal: compare your schedule with the auto-scheduler's"
	}
	return fmt.Sprintf("goal: %.1f× the naive schedule", ls.Goal)
}

// StartLesson opens a lesson in the playground.
func (a *App) StartLesson(id string) {
	a.Learn.Active, a.Learn.Msg = id, ""
	if l := a.Learn.Lesson(); l != nil {
		a.startPlay(l.Workload, nil)
		a.View = "playground"
	}
}

// checkLesson completes the active lesson when a run reaches its goal.
func (a *App) checkLesson(speedup float64) {
	l := a.Learn.Lesson()
	if l == nil || l.Auto || a.Play.Workload != l.Workload {
		return
	}
	if l.Attached != "" {
		for _, st := range a.Play.Stages {
			if st.Name == l.Attached && st.Attach == "at" {
				a.completeLesson(l, fmt.Sprintf("Lesson done: %s is computed inside its reader's loop (%.2f× the naive schedule).", l.Attached, speedup))
				return
			}
		}
		a.Learn.Msg = fmt.Sprintf("%s is not computed inside a loop of its reader yet. Hint: %s", l.Attached, l.Hint)
		return
	}
	if speedup >= l.Goal {
		a.completeLesson(l, fmt.Sprintf("Lesson done: %.2f× the naive schedule (goal %.1f×).", speedup, l.Goal))
	} else {
		a.Learn.Msg = fmt.Sprintf("%.2f× so far; the goal is %.1f×. Hint: %s", speedup, l.Goal, l.Hint)
	}
}

// checkLessonAuto completes the auto-scheduler lesson.
func (a *App) checkLessonAuto() {
	if l := a.Learn.Lesson(); l != nil && l.Auto && a.Play.Workload == l.Workload {
		a.completeLesson(l, "Lesson done: you have seen what the auto-scheduler finds.")
	}
}

func (a *App) completeLesson(l *Lesson, msg string) {
	a.Learn.Done[l.ID] = true
	a.Learn.Msg = msg
	a.host.Save("lessons", a.Learn.save())
}

// ShowSolution applies the active lesson's solution in the playground
// (one change: Undo takes it back).
func (a *App) ShowSolution() {
	l := a.Learn.Lesson()
	if l == nil || l.Solution == "" {
		return
	}
	var steps []json.RawMessage
	if err := json.Unmarshal([]byte(l.Solution), &steps); err != nil {
		a.Play.Err = err.Error()
		return
	}
	a.replay(steps, a.Play.Loops, true)
}
