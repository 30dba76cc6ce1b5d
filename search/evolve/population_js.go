package evolve

// DefaultPopulation is the population of DefaultParams in a browser tab
// (GOOS=js): a round of the C2D search at Ansor's 2048 took 3.9 s natively
// and 13.6 s as WebAssembly in node (BenchmarkRoundC2D in search/tune), so
// the tab searches a quarter of the population per round, for rounds of
// about the native length.
const DefaultPopulation = 512
