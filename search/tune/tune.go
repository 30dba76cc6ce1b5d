// Package tune is the tuning loop of one task (a workload on a target):
// each round it asks the evolutionary search for a batch of candidates
// (random ones while there is no cost model yet), builds them, has the
// measurer verify and time them, appends every result to the records log
// as it comes, and retrains the cost model on everything measured.
//
// The loop is the same in a browser tab and on the command line; what
// differs is the measurer and where the log goes. Every random choice comes
// from the seed, so a deterministic measurer gives an identical log.
package tune

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/search/evolve"
	"github.com/tabtune/tabtune/search/features"
	"github.com/tabtune/tabtune/search/model"
	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/search/sample"
	"github.com/tabtune/tabtune/search/sketch"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
)

// CutoffFactor sets the measurers' cutoff (targets.Candidate.Cutoff):
// a candidate whose first run is this many times slower than the best so
// far is timed by that run alone. Its precise time would not change what
// the search does next, and on big workloads the first rounds are mostly
// such kernels (a random GMM 1024 kernel can take seconds a run).
const CutoffFactor = 4

// Options configure a task's tuning.
type Options struct {
	Target   targets.Target
	Measurer targets.Measurer
	// Batch is how many candidates are measured per round (Ansor: 64).
	Batch int
	// Seed fixes every random choice.
	Seed uint64
	// Search are the evolutionary search's parameters.
	Search evolve.Params
	// Model are the cost model's training parameters.
	Model model.Params
	// Log holds what was measured before (resume) and receives new
	// records; Writer appends them to the log file. Either may be nil.
	Log    *records.Log
	Writer Writer
	// Tabtune is the version written in records.
	Tabtune string
	// Random makes the search a random search (no model, no evolution):
	// the baseline the cost model has to beat.
	Random bool
	// Measured, when set, is called after each chunk of a round's
	// measurements with the round so far: progress within a long round
	// (the first rounds of a big workload take minutes).
	Measured func(Round)
}

// Writer receives each record as it is made: a log file on the command
// line (records.Writer), IndexedDB in a browser.
type Writer interface {
	Write(*records.Record) error
}

// Task tunes one workload on one target.
type Task struct {
	DAG      *te.DAG
	Workload *targets.Workload
	// Sketches is how many sketches the search draws from; SketchesCapped
	// says that derivation was capped there (sketch.MaxSketches), for a
	// front end to say so.
	Sketches       int
	SketchesCapped bool
	opts           Options
	search         *evolve.Search
	model          *model.Model
	// machine is the target's, for the features: the model learns and
	// predicts on what the target's code generator and processor do.
	machine features.Machine
	// train holds the training programs: features and measured seconds
	// (0 for failures).
	train []trainSample
	// measured are this session's measured candidates, best first, the
	// seeds of evolution.
	measured []*evolve.Candidate
	best     *records.Record
	round    int
	// kernels holds the IDs of the kernels measured (targets.Candidate.ID):
	// schedules that compile to the same code are measured once.
	kernels map[string]bool
	// naive is the result of the naive schedule once Baseline measured it.
	naive *targets.Result
	// Trials counts the candidates measured by this task, this session.
	Trials int
}

type trainSample struct {
	rows    [][]float32
	seconds float64
}

// Round is the summary of one round, for progress reports.
type Round struct {
	// Index counts the task's rounds from 1.
	Index int
	// Measured counts the candidates measured, Failed those of them
	// without a time (compile or runtime error, wrong result, timeout).
	Measured, Failed int
	// BuildErrors counts the candidates the code generator refused, and
	// BuildError is the first refusal's message; Duplicates counts those
	// that compiled to a kernel measured before (same candidate ID).
	BuildErrors, Duplicates int
	BuildError              string
	// Best is the task's best record after the round.
	Best *records.Record
	// Took is the round's wall time.
	Took time.Duration
	// ModelAccuracy is how well the cost model, as it was before the
	// round, ranked the round's verified candidates: the fraction of
	// pairs with different times that it ordered right (0.5 is chance).
	// It is -1 when there was no model yet or fewer than two verified.
	ModelAccuracy float64
}

// NewTask prepares a task: its sketches, their spaces, the model trained
// on the log's records of this workload and target, if any.
func NewTask(d *te.DAG, w *targets.Workload, opts Options) (*Task, error) {
	if opts.Batch <= 0 {
		opts.Batch = 64
	}
	if opts.Search.Population == 0 {
		opts.Search = evolve.DefaultParams()
	}
	if opts.Model.Trees == 0 {
		opts.Model = model.DefaultParams()
	}
	if opts.Log == nil {
		opts.Log = &records.Log{}
	}
	sks, capped, err := sketch.NewPolicy(opts.Target).GenerateCapped(d)
	if err != nil {
		return nil, err
	}
	t := &Task{DAG: d, Workload: w, opts: opts, kernels: map[string]bool{}, Sketches: len(sks), SketchesCapped: capped, machine: features.MachineOf(opts.Target)}
	t.search = &evolve.Search{Params: opts.Search, Rng: rand.New(rand.NewPCG(opts.Seed, 0x7ab7)), Tried: map[string]bool{}}
	for _, sk := range sks {
		t.search.Spaces = append(t.search.Spaces, sample.NewSpace(sk, opts.Target))
	}
	// Resume: learn from what the log measured before.
	for _, r := range opts.Log.TopK(d.Key(), opts.Target.String(), math.MaxInt32) {
		if r.Kernel != "" {
			t.kernels[r.Kernel] = true
		}
		st, err := r.Replay(d)
		if err != nil {
			continue
		}
		if rows, err := t.machine.ExtractState(st); err == nil {
			t.train = append(t.train, trainSample{rows, r.Result.Median})
		}
	}
	t.best = opts.Log.Best(d.Key(), opts.Target.String())
	if err := t.retrain(); err != nil {
		return nil, err
	}
	return t, nil
}

// Best is the best record of the workload on the target so far.
func (t *Task) Best() *records.Record { return t.best }

// Score implements evolve.Scorer with the cost model (zeros before it is
// trained).
func (t *Task) Score(states []*schedule.State) []float64 {
	out := make([]float64, len(states))
	if t.model == nil {
		return out
	}
	for i, st := range states {
		rows, err := t.machine.ExtractState(st)
		if err != nil {
			out[i] = -1
			continue
		}
		out[i] = float64(t.model.Predict(rows))
	}
	return out
}

// retrain fits the model on every measured program, with targets
// normalized by the best time (Ansor's normalized throughput).
func (t *Task) retrain() error {
	best := math.Inf(1)
	for _, s := range t.train {
		if s.seconds > 0 {
			best = min(best, s.seconds)
		}
	}
	if math.IsInf(best, 1) || len(t.train) < 8 {
		return nil
	}
	progs := make([]model.Program, 0, len(t.train))
	for _, s := range t.train {
		y := float32(0)
		if s.seconds > 0 {
			y = float32(best / s.seconds)
		}
		if len(s.rows) == 0 {
			continue
		}
		progs = append(progs, model.Program{Rows: s.rows, Target: y, Weight: 1})
	}
	p := t.opts.Model
	p.Seed = t.opts.Seed + uint64(len(progs))
	m, err := model.Train(progs, p)
	if err != nil {
		return fmt.Errorf("tune: training the cost model: %w", err)
	}
	t.model = m
	return nil
}

// Step runs one round: search, build, measure, record, retrain.
func (t *Task) Step(ctx context.Context) (Round, error) { return t.StepUpTo(ctx, t.opts.Batch) }

// StepUpTo runs one round that measures at most n candidates: the last
// round of a trial budget.
func (t *Task) StepUpTo(ctx context.Context, n int) (Round, error) {
	n = max(1, min(n, t.opts.Batch))
	start := time.Now()
	t.round++
	var cands []*evolve.Candidate
	if t.model == nil || t.opts.Random {
		cands = t.search.Random(n * 2)
	} else {
		seeds := t.measured[:min(len(t.measured), t.opts.Search.Population/8)]
		cands = t.search.Next(t, seeds, n*2)
	}
	res := Round{Index: t.round, ModelAccuracy: -1}
	var batch []*evolve.Candidate
	var built []targets.Candidate
	t.take(cands, n, &res, &batch, &built)
	// A round whose proposals were all tried, refused or duplicates is
	// topped up with more random draws and mutations of the best, so
	// that a search with budget left does not stop while the space holds
	// more than it measured.
	for extra := 1; len(batch) < n && extra <= topUps; extra++ {
		want := (n - len(batch)) * 2 * extra
		more := t.search.Random(want)
		more = append(more, t.search.Mutants(t.measured[:min(len(t.measured), 16)], want)...)
		if len(more) == 0 {
			break
		}
		t.take(more, n, &res, &batch, &built)
	}
	if len(batch) == 0 {
		res.Took = time.Since(start)
		res.Best = t.best
		if res.BuildErrors > 0 && res.Duplicates == 0 && len(cands) > 0 {
			return res, fmt.Errorf("tune: none of the %d candidates of round %d built for %s: %s", res.BuildErrors, t.round, t.opts.Target, res.BuildError)
		}
		return res, nil
	}
	// Each candidate's features, extracted once: the model's prediction
	// before measuring (for ModelAccuracy) and the training sample after.
	rows := make([][][]float32, len(batch)) // nil where extraction fails
	var predicted []float64
	if t.model != nil {
		predicted = make([]float64, len(batch))
	}
	for i, c := range batch {
		r, err := t.machine.ExtractState(c.State)
		if err != nil {
			if predicted != nil {
				predicted[i] = -1
			}
			continue
		}
		rows[i] = r
		if predicted != nil {
			predicted[i] = float64(t.model.Predict(r))
		}
	}
	times := make([]float64, len(batch)) // seconds, 0 when not timed
	// The batch goes to the measurer in growing chunks, each cut off by
	// the best time of those before it: the first round of a big
	// workload has no best time yet and many slow kernels.
	for chunk, off := firstChunk, 0; off < len(batch); chunk *= 2 {
		n := min(chunk, len(batch)-off)
		if err := t.measure(ctx, batch[off:off+n], built[off:off+n], rows[off:off+n], times[off:off+n], &res); err != nil {
			return res, err
		}
		off += n
		if t.opts.Measured != nil && off < len(batch) {
			res.Best, res.Took = t.best, time.Since(start)
			t.opts.Measured(res)
		}
	}
	res.ModelAccuracy = rankAccuracy(predicted, times)
	sort.SliceStable(t.measured, func(i, j int) bool { return t.measured[i].Score > t.measured[j].Score })
	if err := t.retrain(); err != nil {
		return res, err
	}
	res.Best = t.best
	res.Took = time.Since(start)
	return res, nil
}

// Baseline measures the naive schedule (each stage a plain loop nest)
// once, records it (records.OriginNaive) and returns its result; later
// calls, and tasks resumed from a log that timed it, return the same
// result. The naive record takes part in Best like
// any other, so a tune never reports a schedule slower than the naive
// one. It is not a trial.
func (t *Task) Baseline(ctx context.Context) (targets.Result, error) {
	if t.naive != nil {
		return *t.naive, nil
	}
	st := schedule.New(t.DAG)
	if prev := t.opts.Log.First(t.DAG.Key(), t.opts.Target.String(), records.StepsHash(st.Steps)); prev != nil {
		r := prev.Result // measured before: resuming does not measure it again
		t.naive = &r
		return r, nil
	}
	c, err := build.Build(st, t.opts.Target)
	if err != nil {
		return targets.Result{}, fmt.Errorf("tune: the naive schedule does not build: %w", err)
	}
	c.Timeout, c.Cutoff = naiveLimits(t.DAG.FLOPs())
	r := t.opts.Measurer.Measure(ctx, t.Workload, []targets.Candidate{c})[0]
	if r.Err == targets.MeasureError {
		return r, fmt.Errorf("tune: measuring the naive schedule: %s", r.Msg)
	}
	rec, err := t.record(st.Steps, c.ID, r, records.OriginNaive)
	if err != nil {
		return r, err
	}
	if r.OK() && (t.best == nil || r.Median < t.best.Result.Median) {
		t.best = rec
	}
	t.naive = &r
	return r, nil
}

// The naive schedule is trusted to end, but a large program's runs slowly
// (GMM 1024 takes about 15 s in V8, longer in wazero's guarded runtime),
// so it gets a time limit of its own: naiveRate FLOP/s, between the
// measurer's limit and naiveMaxTimeout. Past naiveCutoff its first run
// alone times it.
const (
	naiveRate       = 2e7
	naiveMaxTimeout = 3 * time.Minute
	naiveCutoff     = time.Second
)

// naiveLimits are the naive schedule's time limit and cutoff for a
// program of flops floating-point operations.
func naiveLimits(flops float64) (timeout, cutoff time.Duration) {
	secs := min(flops/naiveRate, naiveMaxTimeout.Seconds())
	return time.Duration(secs * float64(time.Second)), naiveCutoff
}

// Naive is the naive schedule's result once Baseline measured it, else nil.
func (t *Task) Naive() *targets.Result { return t.naive }

// topUps is how many times a round that found too few new candidates
// draws more.
const topUps = 3

// take moves candidates from cands to the batch, built, until it holds n:
// those measured before (in the log), refused by the code generator or
// compiling to a kernel measured before are skipped and counted in res.
func (t *Task) take(cands []*evolve.Candidate, n int, res *Round, batch *[]*evolve.Candidate, built *[]targets.Candidate) {
	key, target := t.DAG.Key(), t.opts.Target.String()
	for _, c := range cands {
		if len(*batch) == n {
			return
		}
		if t.search.Tried[c.Key()] {
			continue
		}
		// Whatever happens to c below, the search need not propose it
		// again: it is measured now, was measured before, does not
		// build, or runs the same kernel as one measured.
		t.search.Tried[c.Key()] = true
		if t.opts.Log.Measured(key, target, records.StepsHash(c.State.Steps)) {
			continue
		}
		bc, err := build.Build(c.State, t.opts.Target)
		if err != nil {
			res.BuildErrors++
			if res.BuildError == "" {
				res.BuildError = err.Error()
			}
			continue
		}
		if t.kernels[bc.ID] {
			res.Duplicates++
			continue
		}
		t.kernels[bc.ID] = true
		*batch = append(*batch, c)
		*built = append(*built, bc)
	}
}

// firstChunk is the size of a round's first chunk of measurements.
const firstChunk = 4

// record writes a measurement to the log file and adds it to the log.
func (t *Task) record(steps []schedule.Step, kernel string, r targets.Result, origin string) (*records.Record, error) {
	rec := &records.Record{
		Workload: records.WorkloadOf(t.DAG), Target: t.opts.Target.String(), Measurer: t.opts.Measurer.Name(),
		Steps: steps, Result: r, FLOPs: t.DAG.FLOPs(), Time: time.Now().UTC(),
		Tabtune: t.opts.Tabtune, Round: t.round, Origin: origin, Kernel: kernel,
	}
	if t.opts.Writer != nil {
		if err := t.opts.Writer.Write(rec); err != nil {
			return nil, err
		}
	}
	t.opts.Log.Add(rec)
	return rec, nil
}

// measure measures built candidates, records each result and adds it
// (with its features, rows) to the training set and the seeds of
// evolution; times gets each verified candidate's time.
func (t *Task) measure(ctx context.Context, batch []*evolve.Candidate, built []targets.Candidate, rows [][][]float32, times []float64, res *Round) error {
	if t.best != nil {
		for i := range built {
			built[i].Cutoff = time.Duration(CutoffFactor * t.best.Result.Median * float64(time.Second))
		}
	}
	results := t.opts.Measurer.Measure(ctx, t.Workload, built)
	for i, r := range results {
		if r.Err == targets.MeasureError {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		c := batch[i]
		rec, err := t.record(c.State.Steps, built[i].ID, r, c.Origin)
		if err != nil {
			return err
		}
		t.Trials++
		res.Measured++
		secs := 0.0
		if r.OK() {
			secs = r.Median
			times[i] = secs
			c.Score = -secs
			t.measured = append(t.measured, c)
			if t.best == nil || r.Median < t.best.Result.Median {
				t.best = rec
			}
		} else {
			res.Failed++
		}
		if rows[i] != nil {
			t.train = append(t.train, trainSample{rows[i], secs})
		}
	}
	return nil
}

// rankAccuracy is the fraction of pairs of timed candidates (time > 0)
// with different times whose predicted scores order them as their times
// do (a higher score for the faster one); -1 when there are no
// predictions or no such pair.
func rankAccuracy(predicted, times []float64) float64 {
	if len(predicted) != len(times) {
		return -1
	}
	right, pairs := 0, 0
	for i := range times {
		for j := i + 1; j < len(times); j++ {
			if times[i] <= 0 || times[j] <= 0 || times[i] == times[j] {
				continue
			}
			pairs++
			if (times[i] < times[j]) == (predicted[i] > predicted[j]) {
				right++
			}
		}
	}
	if pairs == 0 {
		return -1
	}
	return float64(right) / float64(pairs)
}
