package tune

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/search/evolve"
	"github.com/tabtune/tabtune/search/features"
	"github.com/tabtune/tabtune/search/model"
	"github.com/tabtune/tabtune/search/sample"
	"github.com/tabtune/tabtune/search/sketch"
	"github.com/tabtune/tabtune/targets"
)

// BenchmarkRoundC2D times one evolutionary round for the default C2D at
// Ansor's default population (2048, 4 generations) and at the platform's
// default (the same natively, smaller in a browser): sampling, building and
// lowering every candidate, extracting its features and scoring it with a
// trained model. Run natively, and under GOOS=js GOARCH=wasm in node (the
// browser runs this code):
//
//	GOOS=js GOARCH=wasm go test -exec="$(go env GOROOT)/lib/wasm/go_js_wasm_exec" -run='^$' -bench=RoundC2D ./search/tune
func BenchmarkRoundC2D(b *testing.B) {
	d, err := ops.BuildSpec("c2d")
	if err != nil {
		b.Fatal(err)
	}
	tg := targets.MustParseTarget("wasm-simd")
	sks, err := sketch.NewPolicy(tg).Generate(d)
	if err != nil {
		b.Fatal(err)
	}
	var spaces []*sample.Space
	for _, sk := range sks {
		spaces = append(spaces, sample.NewSpace(sk, tg))
	}
	// A model trained on 128 random programs with made-up targets: the
	// cost of scoring, not its quality, is what is measured.
	rng := rand.New(rand.NewPCG(1, 2))
	var progs []model.Program
	for len(progs) < 128 {
		sp := spaces[rng.IntN(len(spaces))]
		st, err := sp.Build(sp.Random(rng))
		if err != nil {
			continue
		}
		rows, err := features.ExtractState(st)
		if err != nil {
			b.Fatal(err)
		}
		progs = append(progs, model.Program{Rows: rows, Target: rng.Float32(), Weight: 1})
	}
	p := model.DefaultParams()
	m, err := model.Train(progs, p)
	if err != nil {
		b.Fatal(err)
	}
	task := &Task{model: m}
	for _, params := range []evolve.Params{evolve.AnsorParams(), evolve.DefaultParams()} {
		b.Run(fmt.Sprintf("population=%d", params.Population), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				s := &evolve.Search{Spaces: spaces, Params: params, Rng: rand.New(rand.NewPCG(uint64(i), 3)), Tried: map[string]bool{}}
				if got := s.Next(task, nil, 64); len(got) == 0 {
					b.Fatal("no candidates")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/round")
		})
	}
}
