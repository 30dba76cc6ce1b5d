package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// xnnpackFiles are the files of XNNPACK (tfjs-backend-wasm) and of the
// tfjs core it needs that serve -xnnpack serves, each under
// xnnpack/NAME, from their place in a node_modules/@tensorflow folder.
var xnnpackFiles = []struct{ name, path string }{
	{"tf-core.min.js", "tfjs-core/dist/tf-core.min.js"},
	{"tf-backend-wasm.min.js", "tfjs-backend-wasm/dist/tf-backend-wasm.min.js"},
	{"tfjs-backend-wasm.wasm", "tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"},
	{"tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"},
	{"tfjs-backend-wasm-threaded-simd.wasm", "tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm"},
}

// xnnpackInstall says how to get the folder -xnnpack wants.
const xnnpackInstall = "npm install @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0, then give -xnnpack its node_modules/@tensorflow"

// readXNNPACK reads XNNPACK's files from dir, a node_modules/@tensorflow
// folder, keyed by the names the page fetches them by. The two packages
// must be of one version: tfjs-backend-wasm refuses another core's.
func readXNNPACK(dir string) (map[string][]byte, error) {
	info, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("-xnnpack %s: no such folder (%s)", dir, xnnpackInstall)
		}
		return nil, fmt.Errorf("-xnnpack: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("-xnnpack %s: not a folder (%s)", dir, xnnpackInstall)
	}
	versions := map[string]string{}
	for _, pkg := range []string{"tfjs-core", "tfjs-backend-wasm"} {
		data, err := os.ReadFile(filepath.Join(dir, pkg, "package.json"))
		if err != nil {
			return nil, fmt.Errorf("-xnnpack %s: no @tensorflow/%s in this folder (%s)", dir, pkg, xnnpackInstall)
		}
		var meta struct {
			Version string `json:"version"`
		}
		if err := json.Unmarshal(data, &meta); err != nil || meta.Version == "" {
			return nil, fmt.Errorf("-xnnpack %s: %s/package.json has no version", dir, pkg)
		}
		versions[pkg] = meta.Version
	}
	if versions["tfjs-core"] != versions["tfjs-backend-wasm"] {
		return nil, fmt.Errorf("-xnnpack %s: tfjs-core is %s but tfjs-backend-wasm %s: they must be one version (%s)", dir, versions["tfjs-core"], versions["tfjs-backend-wasm"], xnnpackInstall)
	}
	files := map[string][]byte{}
	for _, f := range xnnpackFiles {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.path)))
		if err != nil {
			return nil, fmt.Errorf("-xnnpack %s: %s is missing (%s)", dir, f.path, xnnpackInstall)
		}
		files["xnnpack/"+f.name] = data
	}
	return files, nil
}
