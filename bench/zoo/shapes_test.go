package main

import (
	"testing"

	"github.com/tabtune/tabtune/compiler/ops"
)

// Every zoo operator has three shapes, and each builds.
func TestShapes(t *testing.T) {
	if err := checkShapes(); err != nil {
		t.Fatal(err)
	}
	for name, list := range shapes {
		if len(list) != 3 || list[0].args != "" {
			t.Errorf("%s: want the default and two more shapes, got %v", name, list)
		}
		for _, s := range list {
			spec, _, err := s.spec(name)
			if err != nil {
				t.Errorf("%s %s: %v", name, s.name, err)
				continue
			}
			if _, err := ops.BuildSpec(spec); err != nil {
				t.Errorf("%s %s: %v", name, s.name, err)
			}
		}
	}
}

// usefulFLOPs counts, for t2d and conv2d_bwd_data, the multiply-adds
// whose input is real: here they are counted the other way round, over
// the program's output and taps, with the index conditions of the zoo's
// programs (compiler/ops/conv.go).
func TestUsefulFLOPs(t *testing.T) {
	for _, tc := range []struct{ op, args string }{
		{"t2d", "N=1,CI=2,H=4,W=5,CO=3,KH=4,KW=4,stride=2,pad=1"},
		{"t2d", "N=2,CI=1,H=3,W=3,CO=2,KH=3,KW=3,stride=3,pad=0"},
		{"t2d", "N=1,CI=1,H=5,W=4,CO=1,KH=3,KW=2,stride=1,pad=1"},
		{"conv2d_bwd_data", "N=1,CI=2,H=7,W=6,CO=3,KH=3,KW=3,stride=2,pad=1"},
		{"conv2d_bwd_data", "N=1,CI=1,H=8,W=8,CO=1,KH=3,KW=3,stride=1,pad=1"},
	} {
		_, p, err := shape{"test", tc.args}.spec(tc.op)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := usefulFLOPs(tc.op, p)
		if !ok {
			t.Fatalf("%s: no useful FLOPs", tc.op)
		}
		s, pad := p["stride"], p["pad"]
		var macs int64
		switch tc.op {
		case "t2d":
			// out[y] += pad[y + ry] * kernel[KH-1-ry], where pad holds
			// data[(y + ry - b) / s] when y + ry - b is a multiple of s
			// inside the data, b = KH-1-pad.
			real := func(v, k, in int64) bool {
				q := v - (k - 1 - pad)
				return q >= 0 && q%s == 0 && q/s < in
			}
			oh, ow := (p["H"]-1)*s-2*pad+p["KH"], (p["W"]-1)*s-2*pad+p["KW"]
			for y := range oh {
				for x := range ow {
					for ry := range p["KH"] {
						for rx := range p["KW"] {
							if real(y+ry, p["KH"], p["H"]) && real(x+rx, p["KW"], p["W"]) {
								macs += p["N"] * p["CI"] * p["CO"]
							}
						}
					}
				}
			}
		case "conv2d_bwd_data":
			// dx[h] += grad[(h + pad - rh) / s] * kernel[rh] when h + pad
			// - rh is a multiple of s inside the output gradient.
			oh, ow := (p["H"]+2*pad-p["KH"])/s+1, (p["W"]+2*pad-p["KW"])/s+1
			real := func(v, r, out int64) bool {
				q := v + pad - r
				return q >= 0 && q%s == 0 && q/s < out
			}
			for h := range p["H"] {
				for w := range p["W"] {
					for rh := range p["KH"] {
						for rw := range p["KW"] {
							if real(h, rh, oh) && real(w, rw, ow) {
								macs += p["N"] * p["CI"] * p["CO"]
							}
						}
					}
				}
			}
		}
		if got != 2*float64(macs) {
			t.Errorf("%s:%s: usefulFLOPs = %v, counting the program's real taps gives %v", tc.op, tc.args, got, 2*float64(macs))
		}
	}
	if _, ok := usefulFLOPs("c2d", map[string]int64{}); ok {
		t.Error("c2d has useful FLOPs: its rows should count the program's")
	}
}
