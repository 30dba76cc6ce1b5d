//go:build !js

package cpu

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/tabtune/tabtune/targets"
)

// runner is one runner process, serving one kernel.
type runner struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Reader
	stderr  bytes.Buffer
	replies chan reply
	timeout time.Duration
	ctx     context.Context // cancelling it kills the runner
}

type reply struct {
	line string
	err  error
}

// errTimeout is a step that did not answer within the time limit.
var errTimeout = errors.New("timeout")

// startRunner starts a runner on a shared object and an image file, with
// the arguments' offsets in the image; each of its steps has timeout to
// answer.
func (m *Measurer) startRunner(ctx context.Context, so, image string, offsets []uint32, timeout time.Duration) (*runner, error) {
	args := []string{so, image}
	for _, o := range offsets {
		args = append(args, strconv.FormatUint(uint64(o), 10))
	}
	r := &runner{cmd: exec.Command(m.runner, args...), replies: make(chan reply), timeout: timeout, ctx: ctx}
	r.cmd.Stderr = &r.stderr
	var err error
	if r.in, err = r.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	r.out = bufio.NewReader(stdout)
	if err := r.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		for {
			line, err := r.out.ReadString('\n')
			r.replies <- reply{strings.TrimSpace(line), err}
			if err != nil {
				close(r.replies)
				return
			}
		}
	}()
	return r, nil
}

// next waits for the runner's next line, at most the time limit; past it
// the runner is killed.
func (r *runner) next() (string, error) {
	t := time.NewTimer(r.timeout)
	defer t.Stop()
	select {
	case rep, ok := <-r.replies:
		if !ok {
			return "", io.EOF
		}
		if rep.err != nil {
			return "", rep.err
		}
		if msg, isErr := strings.CutPrefix(rep.line, "error "); isErr {
			return "", errors.New(msg)
		}
		return rep.line, nil
	case <-t.C:
		r.cmd.Process.Kill()
		return "", errTimeout
	case <-r.ctx.Done():
		r.cmd.Process.Kill()
		return "", r.ctx.Err()
	}
}

// do sends a command and waits for its answer.
func (r *runner) do(command string) (string, error) {
	if _, err := io.WriteString(r.in, command+"\n"); err != nil {
		return "", io.EOF // the runner is gone: its exit says why
	}
	return r.next()
}

// stop ends the runner and returns how it exited.
func (r *runner) stop() error {
	r.in.Close()
	go func() {
		for range r.replies { // until the reader sees the end
		}
	}()
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Second):
		r.cmd.Process.Kill()
		return <-done
	}
}

// fail turns an error of a step into the candidate's result, stopping the
// runner: a crash is a RuntimeError, no answer in time a Timeout.
func (r *runner) fail(step string, err error) targets.Result {
	exit := r.stop()
	switch {
	case r.ctx.Err() != nil:
		return targets.Failed(targets.MeasureError, "not measured: %v", r.ctx.Err())
	case errors.Is(err, errTimeout):
		return targets.Failed(targets.Timeout, "%s: kernel did not return within %v", step, r.timeout)
	case errors.Is(err, io.EOF) && exit != nil:
		msg := exit.Error()
		if s := strings.TrimSpace(r.stderr.String()); s != "" {
			msg += ": " + firstLines(s, 3)
		}
		return targets.Failed(targets.RuntimeError, "%s: kernel crashed the runner (%s)", step, msg)
	}
	return targets.Failed(targets.MeasureError, "cpu: runner: %s: %v", step, err)
}

// runOnce starts a runner on a compiled kernel and runs it once on w's
// memory image (targets.Layout.Prepare), in the file image, each step
// under the time limit timeout. It returns the
// runner, still running, and the image after the call with its layout
// (grown by the kernel's scratch area); or, with a nil runner, the failed
// result.
func (m *Measurer) runOnce(ctx context.Context, w *targets.Workload, layout targets.Layout, so, image string, timeout time.Duration) (*runner, []byte, targets.Layout, targets.Result) {
	fail := func(r targets.Result) (*runner, []byte, targets.Layout, targets.Result) { return nil, nil, layout, r }
	if err := os.WriteFile(image, nil, 0o600); err != nil {
		return fail(targets.Failed(targets.MeasureError, "cpu: %v", err))
	}
	r, err := m.startRunner(ctx, so, image, layout.Args(), timeout)
	if err != nil {
		return fail(targets.Failed(targets.MeasureError, "cpu: starting the runner: %v", err))
	}
	line, err := r.next()
	if err != nil {
		if errors.Is(err, errTimeout) || errors.Is(err, io.EOF) || ctx.Err() != nil {
			return fail(r.fail("load", err))
		}
		r.stop()
		return fail(targets.Failed(targets.CompileError, "loading the kernel: %v", err))
	}
	n, err := strconv.ParseUint(strings.TrimPrefix(line, "scratch "), 10, 32)
	if err != nil || !strings.HasPrefix(line, "scratch ") {
		r.stop()
		return fail(targets.Failed(targets.CompileError, "the kernel's kernel_scratch_bytes is not a size: %q", line))
	}
	layout = layout.WithScratch(uint32(n))
	if layout.Size() > uint64(m.opts.MaxMemory) {
		r.stop()
		return fail(targets.Failed(targets.RuntimeError, "tensors and scratch area need %d bytes, more than the limit of %d (Options.MaxMemory)", layout.Size(), m.opts.MaxMemory))
	}
	mem := make([]byte, layout.Size())
	layout.Prepare(mem, w)
	if err := m.exchange(r, image, mem, "run"); err != nil {
		return fail(r.fail("verification run", err))
	}
	return r, mem, layout, targets.Result{}
}

// measureOne verifies and times one compiled kernel of candidate c.
func (m *Measurer) measureOne(ctx context.Context, w *targets.Workload, layout targets.Layout, so, image string, c *targets.Candidate) targets.Result {
	cutoff := c.Cutoff
	r, mem, layout, res := m.runOnce(ctx, w, layout, so, image, m.opts.TimeoutOf(c))
	if r == nil {
		return res
	}
	if kind, msg := layout.Verify(mem, w); kind != targets.None {
		r.stop()
		return targets.Failed(kind, "%s", msg)
	}
	// Time from the same image, then check the outputs again.
	layout.Prepare(mem, w)
	if err := os.WriteFile(image, mem, 0o600); err != nil {
		r.stop()
		return targets.Failed(targets.MeasureError, "cpu: %v", err)
	}
	if _, err := r.do("load"); err != nil {
		return r.fail("load", err)
	}
	times, err := targets.Sample(m.opts, cutoff, func(calls int) (float64, error) {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		line, err := r.do("time " + strconv.Itoa(calls))
		if err != nil {
			return 0, err
		}
		return strconv.ParseFloat(strings.TrimPrefix(line, "t "), 64)
	})
	if err != nil {
		return r.fail("timed run", err)
	}
	if _, err := r.do("save"); err != nil {
		return r.fail("save", err)
	}
	if err := readInto(image, mem); err != nil {
		r.stop()
		return targets.Failed(targets.MeasureError, "cpu: %v", err)
	}
	r.stop()
	if kind, msg := layout.Verify(mem, w); kind != targets.None {
		return targets.Failed(kind, "after the timed runs: %s", msg)
	}
	return targets.Timed(times)
}

// exchange writes mem to the image file, has the runner load it, run
// command and save it, and reads it back into mem.
func (m *Measurer) exchange(r *runner, image string, mem []byte, command string) error {
	if err := os.WriteFile(image, mem, 0o600); err != nil {
		return err
	}
	for _, c := range []string{"load", command, "save"} {
		if _, err := r.do(c); err != nil {
			return err
		}
	}
	return readInto(image, mem)
}

// readInto reads the image file into mem, which has its size.
func readInto(image string, mem []byte) error {
	f, err := os.Open(image)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.ReadFull(f, mem); err != nil {
		return fmt.Errorf("reading the image back: %w", err)
	}
	return nil
}
