package model

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// synthRow is a row of a synthetic program, shaped like tabtune's features:
// a continuous feature, a small integer, a sparse one, noise, a constant,
// and log-scaled counts.
func synthRow(r *rand.Rand, nfeat int) []float32 {
	x := make([]float32, nfeat)
	for f := range x {
		switch {
		case f == 0:
			x[f] = r.Float32()
		case f == 1:
			x[f] = float32(r.IntN(8))
		case f == 2:
			if r.IntN(10) < 3 {
				x[f] = r.Float32()
			}
		case f == 3:
			x[f] = 1 // constant
		case f%3 == 0:
			if r.IntN(10) < 2 {
				x[f] = float32(math.Log2(1 + float64(r.IntN(1024))))
			}
		case f%3 == 1:
			x[f] = float32(r.IntN(5))
		default:
			x[f] = r.Float32()
		}
	}
	return x
}

// synthContrib is what a synthetic row adds to its program's target:
// a nonlinear function of x0 times one of x1, plus a little of x2.
func synthContrib(x []float32) float64 {
	f := 1 + math.Sin(6*float64(x[0]))
	g := 0.2
	if x[1] >= 4 {
		g = 1
	}
	return 0.05 * (f*g + 0.5*float64(x[2]))
}

// synthPrograms makes n programs of 1 to maxRows rows whose target is the
// sum of synthContrib over their rows.
func synthPrograms(seed uint64, n, maxRows, nfeat int) []Program {
	r := rand.New(rand.NewPCG(seed, 99))
	progs := make([]Program, n)
	for i := range progs {
		k := 1 + r.IntN(maxRows)
		var y float64
		for range k {
			x := synthRow(r, nfeat)
			y += synthContrib(x)
			progs[i].Rows = append(progs[i].Rows, x)
		}
		progs[i].Target = float32(y)
		progs[i].Weight = 1
	}
	return progs
}

func mse(pred []float32, progs []Program) float64 {
	var s float64
	for i, p := range progs {
		d := float64(pred[i]) - float64(p.Target)
		s += d * d
	}
	return s / float64(len(progs))
}

func predictAll(m *Model, progs []Program) []float32 {
	rows := make([][][]float32, len(progs))
	for i, p := range progs {
		rows[i] = p.Rows
	}
	return m.PredictBatch(rows)
}

func targets(progs []Program) []float32 {
	t := make([]float32, len(progs))
	for i, p := range progs {
		t[i] = p.Target
	}
	return t
}

func mustTrain(t *testing.T, progs []Program, p Params) *Model {
	t.Helper()
	m, err := Train(progs, p)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLearnsSyntheticSum(t *testing.T) {
	train := synthPrograms(1, 2000, 8, 20)
	test := synthPrograms(2, 500, 8, 20)
	m := mustTrain(t, train, DefaultParams())

	var mean float64
	for _, p := range train {
		mean += float64(p.Target)
	}
	mean /= float64(len(train))
	var base float64
	for _, p := range test {
		d := mean - float64(p.Target)
		base += d * d
	}
	base /= float64(len(test))

	pred := predictAll(m, test)
	loss := mse(pred, test)
	acc := PairwiseAccuracy(pred, targets(test))
	t.Logf("held-out: pairwise accuracy %.4f, mse %.3g (predicting the mean: %.3g, ratio %.3f); %d trees, %d nodes",
		acc, loss, base, loss/base, m.NumTrees(), m.NumNodes())
	if acc <= 0.9 {
		t.Errorf("held-out pairwise accuracy %.4f, want > 0.9", acc)
	}
	if loss > 0.1*base {
		t.Errorf("held-out mse %.3g, want < 0.1 × %.3g (predicting the mean)", loss, base)
	}
}

// TestPackSum trains on programs of 1 to 10 rows of three kinds, each kind
// adding a fixed amount to its program's target: the model must learn each
// kind's own score, so that a program of any length is scored by the sum.
func TestPackSum(t *testing.T) {
	contrib := []float64{0.1, 0.3, 0.05}
	kind := func(k int) []float32 {
		x := make([]float32, 4)
		x[k] = 1
		x[3] = float32(k) * 2 // another view of the kind
		return x
	}
	r := rand.New(rand.NewPCG(3, 4))
	var progs []Program
	for range 400 {
		n := 1 + r.IntN(10)
		var p Program
		var y float64
		for range n {
			k := r.IntN(3)
			p.Rows = append(p.Rows, kind(k))
			y += contrib[k]
		}
		p.Target, p.Weight = float32(y), 1
		progs = append(progs, p)
	}
	params := DefaultParams()
	params.Trees = 300
	m := mustTrain(t, progs, params)
	for k, c := range contrib {
		if got := m.Predict([][]float32{kind(k)}); math.Abs(float64(got)-c) > 0.01 {
			t.Errorf("score of one row of kind %d = %.4f, want %.4f", k, got, c)
		}
	}
	// 25 rows: longer than any training program.
	var long [][]float32
	var want float64
	for i := range 25 {
		long = append(long, kind(i%3))
		want += contrib[i%3]
	}
	if got := m.Predict(long); math.Abs(float64(got)-want) > 0.1 {
		t.Errorf("score of a 25-row program = %.4f, want %.4f", got, want)
	}
	// The score of a program is the sum of the scores of its rows.
	var sum float64
	for _, x := range long {
		sum += float64(m.Predict([][]float32{x}))
	}
	if got := m.Predict(long); math.Abs(float64(got)-sum) > 1e-5 {
		t.Errorf("Predict(rows) = %v, sum of Predict(row) = %v", got, sum)
	}
	if got := m.Predict(nil); got != 0 {
		t.Errorf("Predict of no rows = %v, want 0", got)
	}
}

func saveBytes(t *testing.T, m *Model) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := m.Save(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDeterministic(t *testing.T) {
	progs := synthPrograms(1, 300, 6, 30)
	p := DefaultParams()
	p.Trees, p.Subsample, p.ColSample = 50, 0.7, 0.6
	a := saveBytes(t, mustTrain(t, progs, p))
	b := saveBytes(t, mustTrain(t, progs, p))
	if !bytes.Equal(a, b) {
		t.Fatal("two trainings with the same data and parameters give different models")
	}
	p.Seed++
	if c := saveBytes(t, mustTrain(t, progs, p)); bytes.Equal(a, c) {
		t.Error("another seed gives the same model, with subsampling")
	}
}

func TestSaveLoad(t *testing.T) {
	progs := synthPrograms(1, 300, 6, 30)
	// Some NaNs, so that trees learn default directions.
	for i := range progs {
		if i%5 == 0 {
			progs[i].Rows[0][1] = float32(math.NaN())
		}
	}
	p := DefaultParams()
	p.Trees = 60
	m := mustTrain(t, progs, p)
	data := saveBytes(t, m)
	m2, err := Load(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if m2.NumFeatures() != m.NumFeatures() || m2.NumTrees() != m.NumTrees() || m2.NumNodes() != m.NumNodes() {
		t.Fatalf("loaded model has %d features, %d trees, %d nodes; saved %d, %d, %d",
			m2.NumFeatures(), m2.NumTrees(), m2.NumNodes(), m.NumFeatures(), m.NumTrees(), m.NumNodes())
	}
	test := synthPrograms(2, 200, 6, 30)
	test[0].Rows[0][2] = float32(math.NaN())
	test[1].Rows[0] = test[1].Rows[0][:10] // short row: the rest is NaN
	for i, q := range test {
		if a, b := m.Predict(q.Rows), m2.Predict(q.Rows); math.Float32bits(a) != math.Float32bits(b) {
			t.Fatalf("program %d: prediction %v before saving, %v after loading", i, a, b)
		}
	}
	if again := saveBytes(t, m2); !bytes.Equal(again, data) {
		t.Error("saving a loaded model gives other bytes")
	}
	// Load reads exactly the model: what follows stays in the reader.
	r := bytes.NewReader(append(append([]byte{}, data...), "tail"...))
	if _, err := Load(r); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 4 {
		t.Errorf("Load left %d bytes of 4 after the model", r.Len())
	}
}

func TestLoadErrors(t *testing.T) {
	progs := synthPrograms(1, 100, 4, 10)
	p := DefaultParams()
	p.Trees = 5
	data := saveBytes(t, mustTrain(t, progs, p))

	withVersion := append([]byte{}, data...)
	binary.LittleEndian.PutUint32(withVersion[len(magic):], 2)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"not a model", []byte(`{"trees": []}` + strings.Repeat(" ", 40)), "not a tabtune cost model"},
		{"other version", withVersion, "version 2"},
		{"truncated", data[:len(data)-1], "truncated"},
		{"header only", data[:headerSize], "truncated"},
	}
	for _, tc := range tests {
		_, err := Load(bytes.NewReader(tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Load error %v, want one with %q", tc.name, err, tc.want)
		}
	}
	// Any prefix, and any one byte changed: an error, never a panic.
	for n := range len(data) {
		if _, err := Load(bytes.NewReader(data[:n])); err == nil {
			t.Fatalf("Load of the first %d of %d bytes: no error", n, len(data))
		}
	}
	for i := range data {
		bad := append([]byte{}, data...)
		bad[i] ^= 0x5a
		if _, err := Load(bytes.NewReader(bad)); err == nil {
			t.Fatalf("Load with byte %d changed: no error", i)
		}
	}
}

func TestTrainErrors(t *testing.T) {
	ok := []float32{1, 2}
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	tests := []struct {
		name  string
		progs []Program
		want  string
	}{
		{"no programs", nil, "no programs"},
		{"no rows", []Program{{Target: 1, Weight: 1}}, "no program has rows"},
		{"widths", []Program{{Rows: [][]float32{ok}, Weight: 1}, {Rows: [][]float32{ok, {1, 2, 3}}, Weight: 1}},
			"program 1 row 1 has 3 features, want 2"},
		{"no features", []Program{{Rows: [][]float32{{}}, Weight: 1}}, "no features"},
		{"NaN target", []Program{{Rows: [][]float32{ok}, Target: nan, Weight: 1}}, "program 0 has target NaN"},
		{"Inf target", []Program{{Rows: [][]float32{ok}, Weight: 1}, {Rows: [][]float32{ok}, Target: inf, Weight: 1}},
			"program 1 has target +Inf"},
		{"negative weight", []Program{{Rows: [][]float32{ok}, Weight: -1}}, "weight -1"},
		{"NaN weight", []Program{{Rows: [][]float32{ok}, Weight: nan}}, "weight NaN"},
		{"zero weights", []Program{{Rows: [][]float32{ok}}, {Rows: [][]float32{ok}}}, "weight 0"},
	}
	for _, tc := range tests {
		_, err := Train(tc.progs, DefaultParams())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Train error %v, want one with %q", tc.name, err, tc.want)
		}
	}
}

func TestParamsErrors(t *testing.T) {
	progs := []Program{{Rows: [][]float32{{1}}, Target: 1, Weight: 1}}
	tests := []struct {
		set  func(*Params)
		want string
	}{
		{func(p *Params) { p.Trees = 0 }, "Trees"},
		{func(p *Params) { p.MaxDepth = 0 }, "MaxDepth"},
		{func(p *Params) { p.MaxDepth = 99 }, "MaxDepth"},
		{func(p *Params) { p.LearningRate = 0 }, "LearningRate"},
		{func(p *Params) { p.LearningRate = math.NaN() }, "LearningRate"},
		{func(p *Params) { p.LearningRate = 1.5 }, "LearningRate"},
		{func(p *Params) { p.Lambda = -1 }, "Lambda"},
		{func(p *Params) { p.Lambda = math.Inf(1) }, "Lambda"},
		{func(p *Params) { p.Gamma = math.NaN() }, "Gamma"},
		{func(p *Params) { p.MinChildWeight = -1 }, "MinChildWeight"},
		{func(p *Params) { p.Bins = 1 }, "Bins"},
		{func(p *Params) { p.Bins = 256 }, "Bins"},
		{func(p *Params) { p.Subsample = 0 }, "Subsample"},
		{func(p *Params) { p.ColSample = 1.01 }, "ColSample"},
	}
	for _, tc := range tests {
		p := DefaultParams()
		tc.set(&p)
		_, err := Train(progs, p)
		if err == nil || !strings.Contains(err.Error(), "Params."+tc.want) {
			t.Errorf("Train with %+v: error %v, want one about %s", p, err, tc.want)
		}
	}
	if _, err := Train(progs, Params{}); err == nil {
		t.Error("Train with zero Params: no error")
	}
	if err := DefaultParams().Validate(); err != nil {
		t.Error(err)
	}
}

func TestEdgeCases(t *testing.T) {
	p := DefaultParams()
	p.Trees = 50
	row := func(v ...float32) []float32 { return v }

	t.Run("constant features", func(t *testing.T) {
		// Every row looks the same; targets are 0.1 per row: the base
		// score alone fits them.
		var progs []Program
		for n := 1; n <= 5; n++ {
			pr := Program{Target: 0.1 * float32(n), Weight: 1}
			for range n {
				pr.Rows = append(pr.Rows, row(1, 0, 3))
			}
			progs = append(progs, pr)
		}
		m := mustTrain(t, progs, p)
		for _, pr := range progs {
			if got := m.Predict(pr.Rows); math.Abs(float64(got-pr.Target)) > 1e-6 {
				t.Errorf("%d rows: %v, want %v", len(pr.Rows), got, pr.Target)
			}
		}
	})
	t.Run("all-zero targets", func(t *testing.T) {
		progs := synthPrograms(1, 50, 4, 5)
		for i := range progs {
			progs[i].Target = 0
		}
		m := mustTrain(t, progs, p)
		for _, q := range synthPrograms(2, 20, 4, 5) {
			if got := m.Predict(q.Rows); got != 0 {
				t.Fatalf("prediction %v, want 0", got)
			}
		}
	})
	t.Run("one program", func(t *testing.T) {
		m := mustTrain(t, []Program{{Rows: [][]float32{row(1, 2)}, Target: 0.7, Weight: 3}}, p)
		if got := m.Predict([][]float32{row(1, 2)}); math.Abs(float64(got)-0.7) > 1e-6 {
			t.Errorf("prediction %v, want 0.7", got)
		}
		m = mustTrain(t, []Program{{Rows: [][]float32{row(1, 2), row(3, 4)}, Target: 0.7, Weight: 1}}, p)
		if got := m.Predict([][]float32{row(1, 2), row(3, 4)}); math.Abs(float64(got)-0.7) > 1e-3 {
			t.Errorf("two rows: prediction %v, want 0.7", got)
		}
	})
	t.Run("ignored programs", func(t *testing.T) {
		progs := synthPrograms(1, 100, 4, 5)
		q := DefaultParams()
		q.Trees = 20
		want := saveBytes(t, mustTrain(t, progs, q))
		more := append([]Program{{Target: 5, Weight: 1}}, progs...)                               // no rows
		more = append(more, Program{Rows: [][]float32{row(9, 9, 9, 9, 9)}, Target: 7, Weight: 0}) // weight 0
		if got := saveBytes(t, mustTrain(t, more, q)); !bytes.Equal(got, want) {
			t.Error("programs without rows or weight change the model")
		}
	})
	t.Run("weights", func(t *testing.T) {
		// Two programs with the same rows and different targets: the
		// prediction is their weighted mean.
		progs := []Program{
			{Rows: [][]float32{row(1, 1)}, Target: 0, Weight: 1},
			{Rows: [][]float32{row(1, 1)}, Target: 1, Weight: 3},
			{Rows: [][]float32{row(2, 1)}, Target: 0.5, Weight: 1},
		}
		q := p
		q.Lambda, q.MinChildWeight, q.Trees, q.Subsample = 0, 0, 100, 1
		m := mustTrain(t, progs, q)
		if got := m.Predict([][]float32{row(1, 1)}); math.Abs(float64(got)-0.75) > 0.01 {
			t.Errorf("prediction %v, want the weighted mean 0.75", got)
		}
	})
	t.Run("NaN features", func(t *testing.T) {
		// Feature 0 is missing exactly in the rows worth 1.
		nan := float32(math.NaN())
		r := rand.New(rand.NewPCG(5, 6))
		var progs []Program
		for range 200 {
			if r.IntN(2) == 0 {
				progs = append(progs, Program{Rows: [][]float32{row(nan, r.Float32())}, Target: 1, Weight: 1})
			} else {
				progs = append(progs, Program{Rows: [][]float32{row(r.Float32(), r.Float32())}, Target: 0, Weight: 1})
			}
		}
		m := mustTrain(t, progs, p)
		if got := m.Predict([][]float32{row(nan, 0.5)}); got < 0.9 {
			t.Errorf("row with NaN: %v, want about 1", got)
		}
		if got := m.Predict([][]float32{row(0.5, 0.5)}); got > 0.1 {
			t.Errorf("row without NaN: %v, want about 0", got)
		}
		// Rows of other widths do not panic: missing features are NaN.
		if got := m.Predict([][]float32{{}}); got < 0.9 {
			t.Errorf("empty row: %v, want about 1 (as NaN)", got)
		}
		m.Predict([][]float32{row(0.5, 0.5, 7)})
	})
	t.Run("infinities", func(t *testing.T) {
		inf := float32(math.Inf(1))
		progs := []Program{
			{Rows: [][]float32{row(-inf)}, Target: 0, Weight: 1},
			{Rows: [][]float32{row(0)}, Target: 0.5, Weight: 1},
			{Rows: [][]float32{row(math.MaxFloat32)}, Target: 0.5, Weight: 1},
			{Rows: [][]float32{row(inf)}, Target: 1, Weight: 1},
		}
		q := p
		q.MinChildWeight, q.Lambda, q.Trees = 0, 0, 200
		m := mustTrain(t, progs, q)
		for _, pr := range progs {
			if got := m.Predict(pr.Rows); math.Abs(float64(got-pr.Target)) > 0.01 {
				t.Errorf("row %v: %v, want %v", pr.Rows[0], got, pr.Target)
			}
		}
		if _, err := Load(bytes.NewReader(saveBytes(t, m))); err != nil {
			t.Error(err)
		}
	})
	t.Run("nil model", func(t *testing.T) {
		var m *Model
		if got := m.Predict([][]float32{row(1)}); got != 0 {
			t.Errorf("nil model predicts %v", got)
		}
		if err := m.Save(&bytes.Buffer{}); err == nil {
			t.Error("saving a nil model: no error")
		}
	})
}

// TestColumnSample trains with few features per tree, which takes other
// paths through histogram building.
func TestColumnSample(t *testing.T) {
	train := synthPrograms(1, 1000, 6, 20)
	test := synthPrograms(2, 300, 6, 20)
	p := DefaultParams()
	p.ColSample, p.Subsample = 0.3, 0.5
	m := mustTrain(t, train, p)
	acc := PairwiseAccuracy(predictAll(m, test), targets(test))
	t.Logf("held-out pairwise accuracy with ColSample 0.3, Subsample 0.5: %.4f", acc)
	if acc < 0.85 {
		t.Errorf("held-out pairwise accuracy %.4f, want > 0.85", acc)
	}
}

// TestFastPathMatchesSlow checks the branch-free walk against the plain one.
func TestFastPathMatchesSlow(t *testing.T) {
	train := synthPrograms(1, 500, 6, 20)
	p := DefaultParams()
	p.Trees = 103 // not a multiple of treeGroup
	m := mustTrain(t, train, p)
	for i, q := range synthPrograms(2, 200, 6, 20) {
		for _, x := range q.Rows {
			a, b := m.predictRow(x), m.predictSlow(x)
			if math.Abs(a-b) > 1e-9*(1+math.Abs(b)) {
				t.Fatalf("program %d: fast walk %v, plain walk %v", i, a, b)
			}
		}
	}
}

func TestKey(t *testing.T) {
	vals := []float32{float32(math.Inf(-1)), -math.MaxFloat32, -1, -math.SmallestNonzeroFloat32,
		float32(math.Copysign(0, -1)), 0, math.SmallestNonzeroFloat32, 1, math.MaxFloat32, float32(math.Inf(1))}
	for i := 1; i < len(vals); i++ {
		if key(vals[i-1]) >= key(vals[i]) {
			t.Errorf("key(%v) >= key(%v)", vals[i-1], vals[i])
		}
	}
	for _, v := range vals {
		if u := unkey(key(v)); math.Float32bits(u) != math.Float32bits(v) {
			t.Errorf("unkey(key(%v)) = %v", v, u)
		}
		if key(v) >= leafKey {
			t.Errorf("key(%v) = %#x, not below leafKey", v, key(v))
		}
	}
}

func TestQuantileCuts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(name string, vals []float32, maxBins int) []float32 {
		t.Helper()
		orig := append([]float32{}, vals...)
		cuts := quantileCuts(vals, maxBins)
		if len(cuts) > maxBins-1 {
			t.Errorf("%s: %d cuts for %d bins", name, len(cuts), maxBins)
		}
		for i, c := range cuts {
			if i > 0 && !(cuts[i-1] < c) {
				t.Errorf("%s: cuts not increasing: %v", name, cuts)
			}
			if c == 0 && !math.Signbit(float64(c)) {
				t.Errorf("%s: cut +0", name)
			}
			// c lies between two neighbouring values.
			var below, above bool
			for _, v := range orig {
				below = below || v < c
				above = above || v >= c
			}
			if !below || !above {
				t.Errorf("%s: cut %v does not split the values", name, c)
			}
		}
		return cuts
	}
	if c := check("one value", []float32{3, 3, 3}, 64); len(c) != 0 {
		t.Errorf("constant: cuts %v", c)
	}
	if c := check("few values", []float32{2, 0, 1, 0, 2, 0}, 64); len(c) != 2 || c[0] != 0.5 || c[1] != 1.5 {
		t.Errorf("few values: cuts %v, want [0.5 1.5]", c)
	}
	check("symmetric", []float32{-1, 1}, 4)
	check("tiny", []float32{-math.SmallestNonzeroFloat32, 0}, 4)
	var many, sparse []float32
	for range 10000 {
		many = append(many, r.Float32())
		if r.IntN(10) < 8 {
			sparse = append(sparse, 0)
		} else {
			sparse = append(sparse, r.Float32())
		}
	}
	if c := check("uniform", many, 64); len(c) != 63 {
		t.Errorf("uniform: %d cuts, want 63", len(c))
	}
	c := check("sparse", sparse, 16)
	if len(c) < 10 || c[0] <= 0 || c[0] > 0.001 {
		t.Errorf("sparse: cuts %v: want 0 in a bin of its own and the rest spread", c)
	}
}

// TestHistogram checks the sparse histograms against ones built from the
// dense bins.
func TestHistogram(t *testing.T) {
	progs := synthPrograms(1, 300, 6, 25)
	progs[3].Rows[0][4] = float32(math.NaN())
	for _, cs := range []float64{1, 0.4} {
		p := DefaultParams()
		p.ColSample = cs
		tr, err := newTrainer(progs, p)
		if err != nil {
			t.Fatal(err)
		}
		tr.train() // sets up the buffers
		r := rand.New(rand.NewPCG(9, 9))
		for i := range tr.g {
			tr.g[i], tr.h[i] = r.NormFloat64(), 0.5+r.Float64()
		}
		tr.sample()
		rows := tr.idx[:len(tr.idx)/3]
		h := tr.getHist()
		G, H := tr.buildHist(h, rows)
		want := make([]gh, len(h))
		var wG, wH float64
		for _, row := range rows {
			wG += tr.g[row]
			wH += tr.h[row]
			for k, j := range tr.cols {
				e := &want[tr.histOff[k]+tr.slot(int(j), tr.bins[int(row)*tr.nu+int(j)])]
				e.g += tr.g[row]
				e.h += tr.h[row]
			}
		}
		near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*(1+math.Abs(b)) }
		if !near(G, wG) || !near(H, wH) {
			t.Errorf("ColSample %v: sums %v, %v, want %v, %v", cs, G, H, wG, wH)
		}
		for i := range h {
			if !near(h[i].g, want[i].g) || !near(h[i].h, want[i].h) {
				t.Fatalf("ColSample %v: slot %d = %+v, want %+v", cs, i, h[i], want[i])
			}
		}
	}
}

func TestPairwiseAccuracy(t *testing.T) {
	brute := func(pred, target []float32) float64 {
		var ok, n float64
		for i := range pred {
			for j := i + 1; j < len(pred); j++ {
				ti, tj := target[i], target[j]
				if ti != ti || tj != tj || ti == tj {
					continue
				}
				pi, pj := pred[i], pred[j]
				if pi != pi {
					pi = float32(math.Inf(-1))
				}
				if pj != pj {
					pj = float32(math.Inf(-1))
				}
				n++
				switch {
				case pi == pj:
					ok += 0.5
				case (pi < pj) == (ti < tj):
					ok++
				}
			}
		}
		return ok / n
	}
	r := rand.New(rand.NewPCG(1, 1))
	for trial := range 200 {
		n := 2 + r.IntN(60)
		pred, target := make([]float32, n), make([]float32, n)
		for i := range n {
			pred[i] = float32(r.IntN(8))
			target[i] = float32(r.IntN(5))
			if r.IntN(20) == 0 {
				pred[i] = float32(math.NaN())
			}
			if r.IntN(30) == 0 {
				target[i] = float32(math.NaN())
			}
		}
		got, want := PairwiseAccuracy(pred, target), brute(pred, target)
		if !(math.Abs(got-want) < 1e-12) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("trial %d: %v, want %v (pred %v, target %v)", trial, got, want, pred, target)
		}
	}
	if got := PairwiseAccuracy([]float32{1, 2, 3}, []float32{1, 2, 3}); got != 1 {
		t.Errorf("perfect order: %v", got)
	}
	if got := PairwiseAccuracy([]float32{3, 2, 1}, []float32{1, 2, 3}); got != 0 {
		t.Errorf("reversed order: %v", got)
	}
	if got := PairwiseAccuracy([]float32{1, 1}, []float32{1, 2}); got != 0.5 {
		t.Errorf("tie: %v", got)
	}
	for _, c := range [][2][]float32{{{1}, {1, 2}}, {{1, 2}, {3, 3}}, {nil, nil}} {
		if got := PairwiseAccuracy(c[0], c[1]); !math.IsNaN(got) {
			t.Errorf("PairwiseAccuracy(%v, %v) = %v, want NaN", c[0], c[1], got)
		}
	}
}

// TestTrainMatchesPredict checks that training, which walks trees on binned
// features, scores its programs as Predict does on the features.
func TestTrainMatchesPredict(t *testing.T) {
	progs := synthPrograms(1, 300, 6, 12)
	negZero := float32(math.Copysign(0, -1))
	for i := range progs {
		x := progs[i].Rows[0]
		switch i % 4 {
		case 0:
			x[5] = float32(math.NaN())
		case 1:
			x[6] = negZero
		case 2:
			x[6] = -x[6] // symmetric values: a cut at 0
		}
	}
	p := DefaultParams()
	p.Trees = 40
	tr, err := newTrainer(progs, p)
	if err != nil {
		t.Fatal(err)
	}
	m := tr.train()
	for k, pr := range progs {
		var got float64
		for _, x := range pr.Rows {
			got += m.predictRow(x)
		}
		if want := tr.progPred[k]; math.Abs(got-want) > 1e-9*(1+math.Abs(want)) {
			t.Fatalf("program %d: predicted %v, training's score %v", k, got, want)
		}
	}
}

// TestManyRowsPerProgram trains on programs of up to 80 equal rows: a leaf
// that holds all rows of such a program must move its sum by one Newton
// step, not by 80 (with the rows' hessians, boosting diverges here).
func TestManyRowsPerProgram(t *testing.T) {
	mk := func(seed uint64, n int) []Program {
		r := rand.New(rand.NewPCG(seed, 1))
		progs := make([]Program, n)
		for i := range progs {
			k := 1 + r.IntN(80)
			x := synthRow(r, 10)
			for range k {
				progs[i].Rows = append(progs[i].Rows, x)
			}
			progs[i].Target = float32(synthContrib(x) * float64(k) / 80)
			progs[i].Weight = 1
		}
		return progs
	}
	train, test := mk(1, 1000), mk(2, 300)
	m := mustTrain(t, train, DefaultParams())
	pred := predictAll(m, test)
	for i, v := range pred {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("program %d: prediction %v", i, v)
		}
	}
	acc := PairwiseAccuracy(pred, targets(test))
	t.Logf("held-out pairwise accuracy %.4f", acc)
	if acc < 0.95 {
		t.Errorf("held-out pairwise accuracy %.4f, want > 0.95", acc)
	}
}

// TestLargeSteps trains with learning rate 1 and no regularization on few
// programs of many distinct rows, where each row can have a leaf of its own
// and the leaves' Newton steps add up: the step check keeps the loss of the
// sums falling.
func TestLargeSteps(t *testing.T) {
	progs := synthPrograms(1, 20, 40, 20)
	p := DefaultParams()
	p.Lambda, p.LearningRate, p.MinChildWeight = 0, 1, 0
	m := mustTrain(t, progs, p)
	if got := mse(predictAll(m, progs), progs); !(got < 1e-6) {
		t.Errorf("training mse %v, want about 0", got)
	}
}
