// Command renderjs writes vugu's render helper, the JavaScript that
// vugu's domrender installs with window.eval, as a script file: the app's
// content security policy allows no eval, so the page loads the helper as
// a script of its own (make web writes it to dist/vugu-render.js). It
// reads the constant jsHelperScript from the source of the vugu module
// the build uses, so the script always matches the renderer.
//
//	go run ./ui/internal/renderjs DIR_OF_VUGU > vugu-render.js
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: renderjs DIR_OF_VUGU_MODULE > vugu-render.js")
		os.Exit(2)
	}
	js, err := helper(filepath.Join(os.Args[1], "domrender", "renderer-js-script.go"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "renderjs:", err)
		os.Exit(1)
	}
	fmt.Print(js + "\n")
}

// helper returns the value of the constant jsHelperScript in file.
func helper(file string) (string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		return "", err
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if n.Name != "jsHelperScript" || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return "", fmt.Errorf("%s: jsHelperScript is not a string literal", file)
				}
				return strconv.Unquote(lit.Value)
			}
		}
	}
	return "", fmt.Errorf("%s: no constant jsHelperScript", file)
}
