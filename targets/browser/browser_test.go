//go:build js

// These tests run under node: GOOS=js GOARCH=wasm go test
// -exec="$(go env GOROOT)/lib/wasm/go_js_wasm_exec" ./targets/browser
// (make jstest). The measuring host and its workers are the files of
// Assets, written into a temporary directory and loaded with node's
// require; the measuring workers are worker_threads Workers, terminated
// at the time limit as a page's Web Workers are.

package browser

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall/js"
	"testing"
	"time"

	"github.com/tabtune/tabtune/search/evolve"
	"github.com/tabtune/tabtune/search/flow"
	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/internal/kerneltest"
)

// nodeRequire returns node's require. go_js_wasm_exec runs the test
// binary through wasm_exec_node.js, which sets globalThis.require to its
// own require (Go 1.21 and later): that is the first choice. Failing that
// (another loader), node's module.createRequire makes one, reached through
// process.getBuiltinModule (node 20.16 and later) or, in a CommonJS main
// module, process.mainModule.require. Paths given to it are absolute, so
// which module it resolves from does not matter.
func nodeRequire(t *testing.T) js.Value {
	t.Helper()
	g := js.Global()
	if r := g.Get("require"); r.Type() == js.TypeFunction {
		return r
	}
	proc := g.Get("process")
	if proc.Type() != js.TypeObject {
		t.Fatal("not running in node: no process object")
	}
	if gb := proc.Get("getBuiltinModule"); gb.Type() == js.TypeFunction {
		return proc.Call("getBuiltinModule", "module").Call("createRequire", proc.Call("cwd").String()+"/")
	}
	if mm := proc.Get("mainModule"); mm.Type() == js.TypeObject {
		return mm.Get("require").Call("bind", mm)
	}
	t.Fatal("cannot reach node's require (no globalThis.require, process.getBuiltinModule or process.mainModule)")
	return js.Value{}
}

var (
	assetsOnce sync.Once
	assetsDir  string
	assetsErr  error
)

// assets writes Assets into a directory shared by the tests: node caches
// what it requires by path, so one directory serves them all.
func assets(t *testing.T) string {
	t.Helper()
	assetsOnce.Do(func() {
		assetsDir, assetsErr = os.MkdirTemp("", "tabtune-browser-")
		if assetsErr != nil {
			return
		}
		assetsErr = fs.WalkDir(Assets, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := Assets.ReadFile(path)
			if err == nil {
				err = os.WriteFile(filepath.Join(assetsDir, path), b, 0o644)
			}
			return err
		})
	})
	if assetsErr != nil {
		t.Fatal(assetsErr)
	}
	return assetsDir
}

// newHost makes a measuring host as an engine's worker script does, with
// opts given to createMeasureHost (script defaults to measure-worker.js).
func newHost(t *testing.T, opts map[string]any) js.Value {
	t.Helper()
	dir := assets(t)
	if opts == nil {
		opts = map[string]any{}
	}
	if _, ok := opts["spawn"]; !ok {
		opts["script"] = filepath.Join(dir, "measure-worker.js")
	}
	host := nodeRequire(t).Invoke(filepath.Join(dir, "host.js")).Call("createMeasureHost", opts)
	t.Cleanup(func() { host.Call("close") })
	return host
}

func newMeasurer(t *testing.T, o targets.Options) *Measurer {
	t.Helper()
	if o == (targets.Options{}) {
		o = kerneltest.Options()
	}
	return New(Config{Options: o, Host: newHost(t, nil)})
}

func TestSuite(t *testing.T) {
	m := newMeasurer(t, targets.Options{})
	info, err := m.Info()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v %s", info, info.Note())
	kerneltest.Run(t, m)
	// A second batch, with the workload cached in the host and worker.
	rs := m.Measure(context.Background(), kerneltest.Workload(), []targets.Candidate{{Wasm: kerneltest.VecAdd()}, {Wasm: kerneltest.Scratch()}})
	kerneltest.CheckResult(t, "second batch", rs[0], targets.None, "")
	kerneltest.CheckResult(t, "second batch scratch", rs[1], targets.None, "")
}

// TestWebWorker runs the suite through the browser paths of the scripts:
// host.js loaded as a classic script (self.createMeasureHost) makes its
// measuring workers with the global Worker constructor, and
// measure-worker.js runs as a classic script with importScripts and
// self.onmessage. The Worker is testdata/webworker.js, a dedicated Web
// Worker made of worker_threads.
func TestWebWorker(t *testing.T) {
	dir := assets(t)
	shim, err := filepath.Abs("testdata/webworker.js")
	if err != nil {
		t.Fatal(err)
	}
	g := js.Global()
	req := nodeRequire(t)
	g.Set("Worker", req.Invoke(shim).Get("Worker"))
	defer g.Delete("Worker")
	src, err := Assets.ReadFile("host.js")
	if err != nil {
		t.Fatal(err)
	}
	req.Invoke("vm").Call("runInThisContext", string(src), map[string]any{"filename": "host.js"})
	defer g.Delete("createMeasureHost")
	host := g.Call("createMeasureHost", map[string]any{"script": filepath.Join(dir, "measure-worker.js")})
	defer host.Call("close")

	m := New(Config{Options: kerneltest.Options(), Host: host})
	kerneltest.Run(t, m)
	r := m.Measure(context.Background(), kerneltest.Workload(), []targets.Candidate{{Wasm: kerneltest.Invalid()}})[0]
	kerneltest.CheckResult(t, "engine named", r, targets.CompileError, "browser: WebAssembly.compile()")

	// A script that throws as it starts: an error event before ready.
	bad := filepath.Join(t.TempDir(), "bad-worker.js")
	if err := os.WriteFile(bad, []byte("throw new Error('broken worker');"), 0o644); err != nil {
		t.Fatal(err)
	}
	m = New(Config{Options: kerneltest.Options(), Host: g.Call("createMeasureHost", map[string]any{"script": bad})})
	r = m.Measure(context.Background(), kerneltest.Workload(), []targets.Candidate{{Wasm: kerneltest.VecAdd()}})[0]
	kerneltest.CheckResult(t, "bad script", r, targets.MeasureError, "did not start: Uncaught broken worker")
}

// TestHang: a kernel that loops forever ends as a Timeout within its
// deadline, its worker terminated, and the next candidate of the batch is
// measured in a fresh worker; the same holds for a workload reloaded
// after more workloads than the host keeps.
func TestHang(t *testing.T) {
	o := kerneltest.Options()
	m := newMeasurer(t, o)
	w := kerneltest.Workload()
	start := time.Now()
	rs := m.Measure(context.Background(), w, []targets.Candidate{{Wasm: kerneltest.Forever()}, {Wasm: kerneltest.VecAdd()}, {Wasm: kerneltest.Forever()}})
	took := time.Since(start)
	kerneltest.CheckResult(t, "forever", rs[0], targets.Timeout, "the verification run took longer than 400ms")
	kerneltest.CheckResult(t, "next", rs[1], targets.None, "")
	kerneltest.CheckResult(t, "forever again", rs[2], targets.Timeout, "took longer than")
	// Two timeouts, two worker starts and one timing, with room for a
	// slow machine.
	if limit := 2*o.Timeout + 5*time.Second; took > limit {
		t.Errorf("the batch took %v, more than %v", took, limit)
	}
	t.Logf("batch with two hangs: %v", took)
}

func TestManyWorkloads(t *testing.T) {
	m := newMeasurer(t, targets.Options{})
	for i := range 6 {
		w := kerneltest.Workload()
		w.Key = w.Key + "-" + string(rune('a'+i))
		rs := m.Measure(context.Background(), w, []targets.Candidate{{Wasm: kerneltest.VecAdd()}})
		kerneltest.CheckResult(t, w.Key, rs[0], targets.None, "")
	}
	// The first was dropped by the host and is sent again.
	w := kerneltest.Workload()
	w.Key += "-a"
	kerneltest.CheckResult(t, "reloaded", m.Measure(context.Background(), w, []targets.Candidate{{Wasm: kerneltest.VecAdd()}})[0], targets.None, "")
	// Same key, other reference: another digest, so the old data is not used.
	w.Want[0][0] += 1
	kerneltest.CheckResult(t, "changed", m.Measure(context.Background(), w, []targets.Candidate{{Wasm: kerneltest.VecAdd()}})[0], targets.WrongResult, "output C[0]")
}

// TestCancel: the context ends while a kernel hangs: it and the rest are
// not measured, and the next batch works.
func TestCancel(t *testing.T) {
	m := newMeasurer(t, targets.Options{})
	w := kerneltest.Workload()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	rs := m.Measure(ctx, w, []targets.Candidate{{Wasm: kerneltest.Forever()}, {Wasm: kerneltest.VecAdd()}})
	for i, r := range rs {
		if r.Err != targets.MeasureError || !strings.Contains(r.Msg, "not measured") {
			t.Errorf("cancelled %d: %v %q", i, r.Err, r.Msg)
		}
	}
	kerneltest.CheckResult(t, "after cancel", m.Measure(context.Background(), w, []targets.Candidate{{Wasm: kerneltest.VecAdd()}})[0], targets.None, "")
}

// TestSharedHost: two measurers on one host (an engine may run a tune and
// a single schedule at once) have their candidates measured one at a
// time; one that is cancelled while it waits for its turn is not
// measured, and the other's batch goes on.
func TestSharedHost(t *testing.T) {
	host := newHost(t, nil)
	m1 := New(Config{Options: kerneltest.Options(), Host: host})
	m2 := New(Config{Options: kerneltest.Options(), Host: host})
	w := kerneltest.Workload()
	var rs1 []targets.Result
	done := make(chan struct{})
	go func() {
		defer close(done)
		rs1 = m1.Measure(context.Background(), w, []targets.Candidate{{Wasm: kerneltest.Forever()}, {Wasm: kerneltest.VecAdd()}})
	}()
	time.Sleep(50 * time.Millisecond) // m1's hang is in flight
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	rs2 := m2.Measure(ctx, w, []targets.Candidate{{Wasm: kerneltest.VecAdd()}, {Wasm: kerneltest.VecAdd()}})
	for i, r := range rs2 {
		kerneltest.CheckResult(t, fmt.Sprint("cancelled in the queue ", i), r, targets.MeasureError, "not measured")
	}
	<-done
	kerneltest.CheckResult(t, "forever", rs1[0], targets.Timeout, "took longer than")
	kerneltest.CheckResult(t, "after forever", rs1[1], targets.None, "")

	var wg sync.WaitGroup
	rs := make([][]targets.Result, 2)
	for i, m := range []*Measurer{m1, m2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs[i] = m.Measure(context.Background(), w, []targets.Candidate{{Wasm: kerneltest.VecAdd()}, {Wasm: kerneltest.Subtract()}})
		}()
	}
	wg.Wait()
	for i := range rs {
		kerneltest.CheckResult(t, "together", rs[i][0], targets.None, "")
		kerneltest.CheckResult(t, "together", rs[i][1], targets.WrongResult, "output C[0]")
	}
}

// spawnEval returns a spawn function for createMeasureHost that starts a
// worker_threads Worker running src.
func spawnEval(t *testing.T, src string) js.Value {
	t.Helper()
	worker := nodeRequire(t).Invoke("worker_threads").Get("Worker")
	return js.Global().Get("Function").New("Worker", "src", "return () => new Worker(src, {eval: true})").Invoke(worker, src)
}

// TestWorkerFailures: a worker that dies during a candidate makes it a
// RuntimeError; one that never starts makes a MeasureError; a missing
// host is a MeasureError that says how to install one.
func TestWorkerFailures(t *testing.T) {
	w := kerneltest.Workload()
	one := []targets.Candidate{{Wasm: kerneltest.VecAdd()}}

	dies := spawnEval(t, `
		const { parentPort } = require('worker_threads');
		parentPort.on('message', (m) => {
			if (m.op !== 'measure') return;
			parentPort.postMessage({ id: m.id, event: 'verifying' });
			setTimeout(() => { throw new Error('the engine gave up'); }, 10);
		});
		parentPort.postMessage({ event: 'ready' });`)
	m := New(Config{Options: kerneltest.Options(), Host: newHost(t, map[string]any{"spawn": dies})})
	kerneltest.CheckResult(t, "died", m.Measure(context.Background(), w, one)[0], targets.RuntimeError,
		"while the verification run: the measuring worker died: the engine gave up")

	silent := spawnEval(t, `setInterval(() => {}, 1000);`)
	m = New(Config{Options: kerneltest.Options(), Host: newHost(t, map[string]any{"spawn": silent, "startTimeout": 200})})
	kerneltest.CheckResult(t, "never ready", m.Measure(context.Background(), w, one)[0], targets.MeasureError, "did not start within 200 ms")

	broken := spawnEval(t, `throw new Error('no such script');`)
	m = New(Config{Options: kerneltest.Options(), Host: newHost(t, map[string]any{"spawn": broken})})
	kerneltest.CheckResult(t, "broken", m.Measure(context.Background(), w, one)[0], targets.MeasureError, "did not start: no such script")

	m = New(Config{Options: kerneltest.Options()})
	if _, err := m.Info(); err == nil {
		t.Error("Info without a host: no error")
	}
	rs := m.Measure(context.Background(), w, append(one, one...))
	for _, r := range rs {
		kerneltest.CheckResult(t, "no host", r, targets.MeasureError, "globalThis.tabtuneMeasure is not installed")
	}

	// Installed as the engine installs it, the global is found.
	js.Global().Set(HostGlobal, newHost(t, nil))
	defer js.Global().Delete(HostGlobal)
	kerneltest.CheckResult(t, "global host", m.Measure(context.Background(), w, one)[0], targets.None, "")
}

// TestRelaxed: a relaxed SIMD candidate is a CompileError that says why
// where the engine does not validate relaxed SIMD (node 20 without its
// flag), and runs where it does (Chromium; here node 20 once the flag is
// set, which v8.setFlagsFromString does for the isolates made after it:
// the host's and its fresh workers').
func TestRelaxed(t *testing.T) {
	batch := []targets.Candidate{{Wasm: kerneltest.Relaxed(), Relaxed: true}, {Wasm: kerneltest.VecAdd()}}
	m := newMeasurer(t, targets.Options{})
	info, err := m.Info()
	if err != nil {
		t.Fatal(err)
	}
	if !info.RelaxedSIMD {
		rs := m.Measure(context.Background(), kerneltest.Workload(), batch)
		kerneltest.CheckResult(t, "relaxed", rs[0], targets.CompileError, "does not run relaxed SIMD")
		kerneltest.CheckResult(t, "after relaxed", rs[1], targets.None, "")
		nodeRequire(t).Invoke("v8").Call("setFlagsFromString", "--experimental-wasm-relaxed-simd")
		m = newMeasurer(t, targets.Options{})
		if info, err = m.Info(); err != nil || !info.RelaxedSIMD {
			t.Fatalf("relaxed SIMD still refused with the flag: %+v %v", info, err)
		}
	}
	rs := m.Measure(context.Background(), kerneltest.Workload(), batch)
	kerneltest.CheckResult(t, "relaxed", rs[0], targets.None, "")
	kerneltest.CheckResult(t, "after relaxed", rs[1], targets.None, "")
}

// recordsSeen keeps the records a tune writes.
type recordsSeen []*records.Record

func (s *recordsSeen) Write(r *records.Record) error {
	*s = append(*s, r)
	return nil
}

// TestTune: a short tune through search/flow measured by the browser
// measurer: every candidate verifies and the best is in the log.
func TestTune(t *testing.T) {
	o := kerneltest.Options()
	o.Timeout = 5 * time.Second
	m := newMeasurer(t, o)
	d, err := flow.Workload("gmm:M=16,N=16,K=16")
	if err != nil {
		t.Fatal(err)
	}
	p := evolve.DefaultParams()
	p.Population = 32
	var seen recordsSeen
	env := flow.Env{Measurer: m, Log: &records.Log{}, Writer: &seen}
	cfg := flow.Config{Target: targets.Target{Kind: targets.WasmSIMD}, Trials: 16, Batch: 8, Seed: 1, Search: p}
	res, err := flow.Tune(context.Background(), env, d, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Trials != 16 || res.Best == nil || !res.Best.OK() {
		t.Fatalf("trials %d, best %+v", res.Trials, res.Best)
	}
	if len(seen) != 1+16 { // the naive schedule, measured first, then the trials
		t.Errorf("%d records written, want 17", len(seen))
	}
	for _, r := range seen {
		if !r.OK() || r.Measurer != Name {
			t.Errorf("record by %q: %v %s", r.Measurer, r.Result.Err, r.Result.Msg)
		}
	}
	t.Logf("best of 16 trials: %.3g us (%.2f GFLOP/s) in %v", res.Best.Result.Median*1e6, res.Best.GFLOPS(), res.Took)
}
