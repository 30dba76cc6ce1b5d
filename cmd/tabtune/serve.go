package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/tabtune/tabtune/targets/browser"
	"github.com/tabtune/tabtune/wasm/engine/web"
)

// runServe serves the app: the page, the engine worker and the measuring
// scripts, all embedded in the binary, on loopback unless told otherwise.
func runServe(args []string, stdout, stderr io.Writer) int {
	flags := newFlags("serve", "serve [-listen 127.0.0.1:8080] [-xnnpack DIR]",
		"Serves the tabtune app from files embedded in this binary: open the\n"+
			"address it prints in a browser to tune kernels in the tab, measured in\n"+
			"the browser's own engine. Nothing is fetched from any other host. The\n"+
			"page is cross-origin isolated (COOP and COEP headers), so its timer is\n"+
			"precise. With -xnnpack it also serves XNNPACK (tfjs-backend-wasm) from an\n"+
			"npm install of @tensorflow/tfjs-core and @tensorflow/tfjs-backend-wasm\n"+
			"(4.22.0), and the Tune view can time the same operator with it as a\n"+
			"reference line. Ctrl-C stops it.", stderr)
	listen := flags.String("listen", "127.0.0.1:8080", "the `address` to listen on (port 0 picks a free one); keep it on loopback unless others must reach it")
	xnnpack := flags.String("xnnpack", "", "a node_modules/@tensorflow `folder` with tfjs-core and tfjs-backend-wasm: serve XNNPACK to the page as a reference (npm install @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0)")
	if status, ok := parseFlags(flags, args); !ok {
		return status
	}
	app, err := newApp(*xnnpack)
	if err != nil {
		return fail(stderr, "serve", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fail(stderr, "serve", err)
	}
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "tabtune serve: the app is at http://%s/ (Ctrl-C stops)\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fail(stderr, "serve", err)
	}
	return exitOK
}

// asset is one file the app serves.
type asset struct {
	data, gz    []byte
	hash, ctype string
}

// app serves the app's files, each under its name and, for caching, under
// name?v=HASH (its content hash): index.html names the others that way,
// and a manifest in it gives the engine worker their URLs.
type app struct {
	files map[string]*asset
}

// newApp gathers the embedded files: the page and engine (web) and the
// measuring scripts (targets/browser), and XNNPACK's from xnnpackDir
// unless it is empty.
func newApp(xnnpackDir string) (*app, error) {
	var peer map[string][]byte
	if xnnpackDir != "" {
		var err error
		if peer, err = readXNNPACK(xnnpackDir); err != nil {
			return nil, err
		}
	}
	if missing := web.Missing(); len(missing) > 0 {
		return nil, fmt.Errorf("this tabtune was built without the engine (%s missing): build it with make (make web), then run bin/tabtune serve", strings.Join(missing, ", "))
	}
	return newAppWith(peer, web.Files(), browser.Assets)
}

// newAppFrom serves the files of the given file systems (dist/ flattened
// to the root); index.html is rendered with their hashed URLs.
func newAppFrom(fss ...fs.FS) (*app, error) { return newAppWith(nil, fss...) }

// newAppWith is newAppFrom with extra files under their own names (paths
// such as xnnpack/tf-core.min.js), which the manifest lists too.
func newAppWith(extra map[string][]byte, fss ...fs.FS) (*app, error) {
	a := &app{files: map[string]*asset{}}
	for name, data := range extra {
		a.add(name, data)
	}
	for _, fsys := range fss {
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
				return err
			}
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			a.add(path.Base(p), data)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	index, ok := a.files["index.html"]
	if !ok {
		return nil, errors.New("the app has no index.html")
	}
	manifest := map[string]string{}
	var names []string
	for name := range a.files {
		if name != "index.html" {
			names = append(names, name)
			manifest[name] = a.url(name)
		}
	}
	sort.Strings(names)
	m, err := json.Marshal(manifest)
	if err != nil {
		return nil, err
	}
	html := strings.ReplaceAll(string(index.data), "{{MANIFEST}}", string(m))
	for _, name := range names {
		html = strings.ReplaceAll(html, "{{"+name+"}}", a.url(name))
	}
	if i := strings.Index(html, "{{"); i >= 0 {
		return nil, fmt.Errorf("index.html names a file the app does not have: %.40s", html[i:])
	}
	a.add("index.html", []byte(html))
	return a, nil
}

// add keeps a file with its hash, type and, when it pays, gzip form.
func (a *app) add(name string, data []byte) {
	sum := sha256.Sum256(data)
	f := &asset{data: data, hash: hex.EncodeToString(sum[:6]), ctype: mime.TypeByExtension(path.Ext(name))}
	switch path.Ext(name) {
	case ".wasm":
		f.ctype = "application/wasm"
	case ".js":
		f.ctype = "text/javascript; charset=utf-8"
	case ".svg":
		f.ctype = "image/svg+xml"
	}
	if f.ctype == "" {
		f.ctype = "application/octet-stream"
	}
	if len(data) >= 512 {
		var b bytes.Buffer
		z, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		z.Write(data)
		z.Close()
		if b.Len() < len(data)*9/10 {
			f.gz = b.Bytes()
		}
	}
	a.files[name] = f
}

func (a *app) url(name string) string { return name + "?v=" + a.files[name].hash }

// Sizes returns each file's size and gzip size in bytes.
func (a *app) Sizes() map[string][2]int {
	out := map[string][2]int{}
	for name, f := range a.files {
		gz := len(f.data)
		if f.gz != nil {
			gz = len(f.gz)
		}
		out[name] = [2]int{len(f.data), gz}
	}
	return out
}

// contentSecurity lets the page load nothing from any other host: the app
// works offline, and a kernel cannot phone home.
const contentSecurity = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; " +
	"connect-src 'self'; style-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; form-action 'none'"

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Embedder-Policy", "require-corp")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", contentSecurity)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/")
	if name == "" {
		name = "index.html"
	}
	f, ok := a.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", `"`+f.hash+`"`)
	if r.URL.Query().Get("v") == f.hash && name != "index.html" {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Add("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match == `"`+f.hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.data
	if f.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = f.gz
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

// acceptsGzip reads an Accept-Encoding header.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}
