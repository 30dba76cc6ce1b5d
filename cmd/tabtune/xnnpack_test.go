package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// fakeTensorflow writes a node_modules/@tensorflow folder with the files
// serve -xnnpack reads, the packages at the given versions.
func fakeTensorflow(t *testing.T, core, backend string) string {
	t.Helper()
	dir := t.TempDir()
	write := func(p, data string) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("tfjs-core/package.json", `{"name": "@tensorflow/tfjs-core", "version": "`+core+`"}`)
	write("tfjs-backend-wasm/package.json", `{"name": "@tensorflow/tfjs-backend-wasm", "version": "`+backend+`"}`)
	for _, f := range xnnpackFiles {
		write(f.path, "// "+f.name)
	}
	return dir
}

// TestXNNPACKFlag: serve -xnnpack refuses a folder that is missing, is a
// file, lacks a package or a file, or mixes versions, each in words that
// say how to get the right one; a good folder's files are served under
// xnnpack/ and listed in the page's manifest.
func TestXNNPACKFlag(t *testing.T) {
	good := fakeTensorflow(t, "4.22.0", "4.22.0")
	noFile := fakeTensorflow(t, "4.22.0", "4.22.0")
	if err := os.Remove(filepath.Join(noFile, "tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm")); err != nil {
		t.Fatal(err)
	}
	aFile := filepath.Join(t.TempDir(), "file")
	os.WriteFile(aFile, nil, 0o644)
	for _, c := range []struct{ dir, want string }{
		{filepath.Join(t.TempDir(), "nope"), "no such folder"},
		{aFile, "not a folder"},
		{t.TempDir(), "no @tensorflow/tfjs-core in this folder"},
		{filepath.Join(good, "tfjs-core"), "no @tensorflow/tfjs-core in this folder"},
		{noFile, "tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm is missing"},
		{fakeTensorflow(t, "4.22.0", "4.21.0"), "tfjs-core is 4.22.0 but tfjs-backend-wasm 4.21.0"},
	} {
		_, err := readXNNPACK(c.dir)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "npm install") && c.want != "no such folder" {
			t.Errorf("-xnnpack %s: %v, want %q", c.dir, err, c.want)
		}
		// The command says so and stops before it listens, whether or
		// not this binary has the engine.
		status, _, errOut := tabtune(t, "serve", "-listen", "127.0.0.1:0", "-xnnpack", c.dir)
		if status != exitBadInput || !strings.Contains(errOut, c.want) {
			t.Errorf("serve -xnnpack %s: %d %q", c.dir, status, errOut)
		}
	}
	peer, err := readXNNPACK(good)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newAppWith(peer, fstest.MapFS{
		"index.html": {Data: []byte(`<script id="manifest" type="application/json">{{MANIFEST}}</script>`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	res := get(t, a, "GET", "/", nil)
	page, _ := io.ReadAll(res.Body)
	var manifest map[string]string
	if err := json.Unmarshal(page[strings.Index(string(page), "{"):strings.Index(string(page), "</script>")], &manifest); err != nil {
		t.Fatalf("manifest in %q: %v", page, err)
	}
	for _, f := range xnnpackFiles {
		url := manifest["xnnpack/"+f.name]
		if !strings.HasPrefix(url, "xnnpack/"+f.name+"?v=") {
			t.Errorf("manifest: %s at %q", f.name, url)
			continue
		}
		res := get(t, a, "GET", "/"+url, nil)
		body, _ := io.ReadAll(res.Body)
		want := "text/javascript; charset=utf-8"
		if strings.HasSuffix(f.name, ".wasm") {
			want = "application/wasm"
		}
		if res.StatusCode != 200 || string(body) != "// "+f.name || res.Header.Get("Content-Type") != want || res.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: %d %q %v", url, res.StatusCode, body, res.Header)
		}
	}
	// Without the flag the page has no XNNPACK.
	for name := range testApp(t).files {
		if strings.HasPrefix(name, "xnnpack/") {
			t.Errorf("an app without -xnnpack serves %s", name)
		}
	}
}
