//go:build !js

package node

// Process management: starting node with the harness, sending requests
// and reading replies under a deadline, and stopping or killing the
// process, keeping the end of its stderr for error messages.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

var errDeadline = errors.New("deadline passed")

// proc is a running node process.
type proc struct {
	cmd     *exec.Cmd
	stdin   *os.File
	lines   chan []byte   // stdout, a line at a time; closed at EOF
	quit    chan struct{} // closed by stop
	done    chan struct{} // closed when the process has exited
	waitErr error
	stderr  tail
	loaded  map[string]bool
	nextID  int
	once    sync.Once
}

// start starts node and waits for the harness's ready line.
func start(exe string, args []string, timeout time.Duration) (*proc, reply, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, reply{}, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, reply{}, err
	}
	p := &proc{
		stdin:  inW,
		lines:  make(chan []byte, 16),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
		loaded: map[string]bool{},
	}
	p.cmd = exec.Command(exe, args...)
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = inR, outW, &p.stderr
	err = p.cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, reply{}, err
	}
	go func() {
		defer outR.Close()
		defer close(p.lines)
		r := bufio.NewReaderSize(outR, 1<<16)
		for {
			line, err := r.ReadBytes('\n')
			if len(line) > 0 {
				select {
				case p.lines <- line:
				case <-p.quit:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	msg, err := p.next(context.Background(), time.Now().Add(timeout))
	if err == nil && msg.Event != "ready" {
		err = fmt.Errorf("harness said %+v before it was ready", msg)
	}
	if err != nil {
		p.stop()
		return nil, reply{}, err
	}
	return p, msg, nil
}

// send writes one request line.
func (p *proc) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = p.stdin.Write(append(b, '\n'))
	return err
}

// next returns the next message, or errDeadline, ctx's error, or an
// error saying that node exited, with the end of its stderr.
func (p *proc) next(ctx context.Context, deadline time.Time) (reply, error) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case line, ok := <-p.lines:
		if !ok {
			select {
			case <-p.done:
			case <-time.After(2 * time.Second):
			}
			return reply{}, p.exitError()
		}
		var msg reply
		if err := json.Unmarshal(line, &msg); err != nil {
			return reply{}, fmt.Errorf("harness wrote %q: %v", strings.TrimSpace(string(line)), err)
		}
		return msg, nil
	case <-timer.C:
		return reply{}, errDeadline
	case <-ctx.Done():
		return reply{}, ctx.Err()
	}
}

func (p *proc) exitError() error {
	msg := strings.TrimSpace(p.stderr.String())
	if msg == "" {
		msg = "no output on stderr"
	}
	select {
	case <-p.done:
		return fmt.Errorf("node exited (%v): %s", p.waitErr, msg)
	default:
		return fmt.Errorf("node closed its output: %s", msg)
	}
}

// call sends a request and waits for its ok.
func (p *proc) call(ctx context.Context, req request, timeout time.Duration) error {
	p.nextID++
	req.ID = p.nextID
	if err := p.send(req); err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for {
		msg, err := p.next(ctx, deadline)
		if err != nil {
			return err
		}
		if msg.ID != req.ID {
			continue
		}
		if msg.Error != "" {
			return errors.New(msg.Error)
		}
		return nil
	}
}

// stop ends the process: it closes stdin, which ends the harness, and
// kills the process if it has not exited a second later.
func (p *proc) stop() { p.end(time.Second) }

// kill kills the process (by its pid) at once: its kernel may never
// return.
func (p *proc) kill() { p.end(0) }

func (p *proc) end(grace time.Duration) {
	p.once.Do(func() {
		close(p.quit)
		p.stdin.Close()
		if grace > 0 {
			select {
			case <-p.done:
				return
			case <-time.After(grace):
			}
		}
		p.cmd.Process.Kill()
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
		}
	})
}

// tail keeps the last bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 2048

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > tailSize {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-tailSize:]...)
	}
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
