package main

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/tabtune/tabtune/wasm/engine/web"
)

func testApp(t *testing.T) *app {
	t.Helper()
	big := strings.Repeat("console.log('tabtune');\n", 100)
	a, err := newAppFrom(fstest.MapFS{
		"index.html":       {Data: []byte(`<script id="manifest" type="application/json">{{MANIFEST}}</script><script src="{{app.js}}"></script>`)},
		"app.js":           {Data: []byte(big)},
		"dist/engine.wasm": {Data: []byte("\x00asm\x01\x00\x00\x00")},
		"dist/.gitkeep":    {Data: nil},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func get(t *testing.T, h http.Handler, method, target string, header map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Result()
}

// TestServeHeaders: isolation headers on every answer, the right types,
// hashed URLs cached for good and the page never, gzip when asked, 304 for
// a known ETag, 404 and 405 otherwise.
func TestServeHeaders(t *testing.T) {
	a := testApp(t)
	res := get(t, a, "GET", "/", nil)
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-cache" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("index: %d %v", res.StatusCode, res.Header)
	}
	for _, h := range []string{"Cross-Origin-Opener-Policy", "Cross-Origin-Embedder-Policy", "Content-Security-Policy"} {
		if res.Header.Get(h) == "" {
			t.Errorf("no %s", h)
		}
	}
	page := string(body)
	start := strings.Index(page, "{")
	end := strings.Index(page, "</script>")
	var manifest map[string]string
	if err := json.Unmarshal([]byte(page[start:end]), &manifest); err != nil {
		t.Fatalf("manifest in %q: %v", page, err)
	}
	wasmURL := manifest["engine.wasm"]
	if !strings.HasPrefix(wasmURL, "engine.wasm?v=") || !strings.Contains(page, `src="`+manifest["app.js"]+`"`) {
		t.Fatalf("page %q", page)
	}
	res = get(t, a, "GET", "/"+wasmURL, nil)
	if res.Header.Get("Content-Type") != "application/wasm" || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("wasm: %v", res.Header)
	}
	if res := get(t, a, "GET", "/engine.wasm?v=old", nil); res.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("a stale hash is cached: %v", res.Header)
	}
	res = get(t, a, "GET", "/"+manifest["app.js"], map[string]string{"Accept-Encoding": "br, gzip"})
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("app.js not gzipped: %v", res.Header)
	}
	z, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := io.ReadAll(z)
	if !strings.HasPrefix(string(js), "console.log") {
		t.Errorf("gzipped app.js: %.40q", js)
	}
	etag := res.Header.Get("ETag")
	if res := get(t, a, "GET", "/app.js", map[string]string{"If-None-Match": etag}); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", res.StatusCode)
	}
	if res := get(t, a, "GET", "/.gitkeep", nil); res.StatusCode != 404 {
		t.Errorf("dot file: %d", res.StatusCode)
	}
	if res := get(t, a, "GET", "/../etc/passwd", nil); res.StatusCode != 404 {
		t.Errorf("path outside: %d", res.StatusCode)
	}
	if res := get(t, a, "POST", "/", nil); res.StatusCode != 405 {
		t.Errorf("POST: %d", res.StatusCode)
	}
}

func TestServeBadIndex(t *testing.T) {
	_, err := newAppFrom(fstest.MapFS{"index.html": {Data: []byte(`<script src="{{nope.js}}">`)}})
	if err == nil || !strings.Contains(err.Error(), "nope.js") {
		t.Errorf("a page naming a missing file: %v", err)
	}
}

// TestServeApp: the app embedded in this binary serves, or, built without
// make web, serve says how to build it.
func TestServeApp(t *testing.T) {
	a, err := newApp("")
	if missing := web.Missing(); len(missing) > 0 {
		if err == nil || !strings.Contains(err.Error(), "make web") {
			t.Fatalf("built without the engine: %v", err)
		}
		status, _, errOut := tabtune(t, "serve", "-listen", "127.0.0.1:0")
		if status != exitBadInput || !strings.Contains(errOut, "make web") {
			t.Errorf("serve without the engine: %d %s", status, errOut)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"index.html", "app.js", "engine-worker.js", "store.js", "engine.wasm", "wasm_exec.js", "host.js", "measure-worker.js", "kernel.js"} {
		if _, ok := a.files[name]; !ok {
			t.Errorf("the app lacks %s", name)
		}
	}
	if status, _, errOut := tabtune(t, "serve", "-listen", "256.0.0.1:1"); status != exitBadInput || errOut == "" {
		t.Errorf("a bad address: %d %q", status, errOut)
	}
}
