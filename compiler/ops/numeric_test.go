package ops

import (
	"math"
	"testing"

	"github.com/tabtune/tabtune/compiler/interp"
)

// The numeric tests evaluate each operator with the reference evaluator
// (interp.Eval) at a small shape and compare with a plain Go loop nest
// written from the operator's textbook definition, in float64. The loops
// avoid the programs' tricks on purpose: they test bounds instead of
// reading a padding stage, and they scatter for the transposed
// convolution and the data gradient instead of gathering.

// ix is the row-major offset of idx in a tensor of the given shape.
func ix(shape []int64, idx ...int64) int64 {
	off := int64(0)
	for i, n := range shape {
		off = off*n + idx[i]
	}
	return off
}

// reference computes the output of an operator from its parameters and
// its inputs (in declaration order).
type reference func(p map[string]int64, in [][]float32) []float64

func f64(v float32) float64 { return float64(v) }

func refConv2d(p map[string]int64, in [][]float32) []float64 {
	n, ci, h, w, co := p["N"], p["CI"], p["H"], p["W"], p["CO"]
	kh, kw, s, pad := p["KH"], p["KW"], p["stride"], p["pad"]
	dil, g := max(p["dilation"], 1), max(p["groups"], 1)
	oh := (h+2*pad-dil*(kh-1)-1)/s + 1
	ow := (w+2*pad-dil*(kw-1)-1)/s + 1
	data, kernel := in[0], in[1]
	cig, cog := ci/g, co/g
	out := make([]float64, n*co*oh*ow)
	for b := range n {
		for o := range co {
			for y := range oh {
				for x := range ow {
					acc := 0.0
					for c := range cig {
						for ry := range kh {
							for rx := range kw {
								hh, ww := y*s+ry*dil-pad, x*s+rx*dil-pad
								if hh < 0 || hh >= h || ww < 0 || ww >= w {
									continue
								}
								acc += f64(data[ix([]int64{n, ci, h, w}, b, o/cog*cig+c, hh, ww)]) *
									f64(kernel[ix([]int64{co, cig, kh, kw}, o, c, ry, rx)])
							}
						}
					}
					out[ix([]int64{n, co, oh, ow}, b, o, y, x)] = acc
				}
			}
		}
	}
	return out
}

func refDepthwise(p map[string]int64, in [][]float32) []float64 {
	q := map[string]int64{"CI": p["C"], "CO": p["C"], "groups": p["C"]}
	for k, v := range p {
		if k != "C" {
			q[k] = v
		}
	}
	return refConv2d(q, in)
}

func refConv1d(p map[string]int64, in [][]float32) []float64 {
	n, ci, w, co := p["N"], p["CI"], p["W"], p["CO"]
	kw, s, pad, dil := p["KW"], p["stride"], p["pad"], p["dilation"]
	ow := (w+2*pad-dil*(kw-1)-1)/s + 1
	out := make([]float64, n*co*ow)
	for b := range n {
		for o := range co {
			for x := range ow {
				acc := 0.0
				for c := range ci {
					for rx := range kw {
						if ww := x*s + rx*dil - pad; ww >= 0 && ww < w {
							acc += f64(in[0][(b*ci+c)*w+ww]) * f64(in[1][(o*ci+c)*kw+rx])
						}
					}
				}
				out[(b*co+o)*ow+x] = acc
			}
		}
	}
	return out
}

func refConv3d(p map[string]int64, in [][]float32) []float64 {
	n, ci, d, h, w, co := p["N"], p["CI"], p["D"], p["H"], p["W"], p["CO"]
	kd, kh, kw, s, pad := p["KD"], p["KH"], p["KW"], p["stride"], p["pad"]
	od, oh, ow := (d+2*pad-kd)/s+1, (h+2*pad-kh)/s+1, (w+2*pad-kw)/s+1
	out := make([]float64, n*co*od*oh*ow)
	for b := range n {
		for o := range co {
			for z := range od {
				for y := range oh {
					for x := range ow {
						acc := 0.0
						for c := range ci {
							for rz := range kd {
								for ry := range kh {
									for rx := range kw {
										zz, yy, xx := z*s+rz-pad, y*s+ry-pad, x*s+rx-pad
										if zz < 0 || zz >= d || yy < 0 || yy >= h || xx < 0 || xx >= w {
											continue
										}
										acc += f64(in[0][ix([]int64{n, ci, d, h, w}, b, c, zz, yy, xx)]) *
											f64(in[1][ix([]int64{co, ci, kd, kh, kw}, o, c, rz, ry, rx)])
									}
								}
							}
						}
						out[ix([]int64{n, co, od, oh, ow}, b, o, z, y, x)] = acc
					}
				}
			}
		}
	}
	return out
}

// refTransposed scatters: input pixel (h, w) adds data * kernel to output
// pixel (h*stride + kh - pad, w*stride + kw - pad).
func refTransposed(p map[string]int64, in [][]float32) []float64 {
	n, ci, h, w, co := p["N"], p["CI"], p["H"], p["W"], p["CO"]
	kh, kw, s, pad := p["KH"], p["KW"], p["stride"], p["pad"]
	oh, ow := (h-1)*s-2*pad+kh, (w-1)*s-2*pad+kw
	out := make([]float64, n*co*oh*ow)
	for b := range n {
		for c := range ci {
			for y := range h {
				for x := range w {
					v := f64(in[0][ix([]int64{n, ci, h, w}, b, c, y, x)])
					for o := range co {
						for ry := range kh {
							for rx := range kw {
								yy, xx := y*s+ry-pad, x*s+rx-pad
								if yy < 0 || yy >= oh || xx < 0 || xx >= ow {
									continue
								}
								out[ix([]int64{n, co, oh, ow}, b, o, yy, xx)] += v * f64(in[1][ix([]int64{ci, co, kh, kw}, c, o, ry, rx)])
							}
						}
					}
				}
			}
		}
	}
	return out
}

// refBackwardData scatters each output gradient back through the kernel
// onto the input pixels its window covered.
func refBackwardData(p map[string]int64, in [][]float32) []float64 {
	n, ci, h, w, co := p["N"], p["CI"], p["H"], p["W"], p["CO"]
	kh, kw, s, pad := p["KH"], p["KW"], p["stride"], p["pad"]
	oh, ow := (h+2*pad-kh)/s+1, (w+2*pad-kw)/s+1
	grad, kernel := in[0], in[1]
	dx := make([]float64, n*ci*h*w)
	for b := range n {
		for o := range co {
			for y := range oh {
				for x := range ow {
					g := f64(grad[ix([]int64{n, co, oh, ow}, b, o, y, x)])
					for c := range ci {
						for ry := range kh {
							for rx := range kw {
								hh, ww := y*s+ry-pad, x*s+rx-pad
								if hh < 0 || hh >= h || ww < 0 || ww >= w {
									continue
								}
								dx[ix([]int64{n, ci, h, w}, b, c, hh, ww)] += g * f64(kernel[ix([]int64{co, ci, kh, kw}, o, c, ry, rx)])
							}
						}
					}
				}
			}
		}
	}
	return dx
}

func refBackwardWeight(p map[string]int64, in [][]float32) []float64 {
	n, ci, h, w, co := p["N"], p["CI"], p["H"], p["W"], p["CO"]
	kh, kw, s, pad := p["KH"], p["KW"], p["stride"], p["pad"]
	oh, ow := (h+2*pad-kh)/s+1, (w+2*pad-kw)/s+1
	data, grad := in[0], in[1]
	dw := make([]float64, co*ci*kh*kw)
	for o := range co {
		for c := range ci {
			for ry := range kh {
				for rx := range kw {
					acc := 0.0
					for b := range n {
						for y := range oh {
							for x := range ow {
								hh, ww := y*s+ry-pad, x*s+rx-pad
								if hh < 0 || hh >= h || ww < 0 || ww >= w {
									continue
								}
								acc += f64(grad[ix([]int64{n, co, oh, ow}, b, o, y, x)]) * f64(data[ix([]int64{n, ci, h, w}, b, c, hh, ww)])
							}
						}
					}
					dw[ix([]int64{co, ci, kh, kw}, o, c, ry, rx)] = acc
				}
			}
		}
	}
	return dw
}

func refCapsule(p map[string]int64, in [][]float32) []float64 {
	n, h, w, ci, co := p["N"], p["H"], p["W"], p["CI"], p["CO"]
	kh, kw, s, pad, cp := p["KH"], p["KW"], p["stride"], p["pad"], p["capsule"]
	oh, ow := (h+2*pad-kh)/s+1, (w+2*pad-kw)/s+1
	out := make([]float64, n*oh*ow*cp*cp*co)
	for b := range n {
		for y := range oh {
			for x := range ow {
				for i := range cp {
					for j := range cp {
						for o := range co {
							acc := 0.0
							for ry := range kh {
								for rx := range kw {
									hh, ww := y*s+ry-pad, x*s+rx-pad
									if hh < 0 || hh >= h || ww < 0 || ww >= w {
										continue
									}
									for k := range cp {
										for c := range ci {
											acc += f64(in[0][ix([]int64{n, h, w, cp, cp, ci}, b, hh, ww, i, k, c)]) *
												f64(in[1][ix([]int64{kh, kw, cp, cp, ci, co}, ry, rx, k, j, c, o)])
										}
									}
								}
							}
							out[ix([]int64{n, oh, ow, cp, cp, co}, b, y, x, i, j, o)] = acc
						}
					}
				}
			}
		}
	}
	return out
}

func refPool(avg bool) reference {
	return func(p map[string]int64, in [][]float32) []float64 {
		n, c, h, w, k, s, pad := p["N"], p["C"], p["H"], p["W"], p["K"], p["stride"], p["pad"]
		oh, ow := (h+2*pad-k)/s+1, (w+2*pad-k)/s+1
		out := make([]float64, n*c*oh*ow)
		for b := range n {
			for ch := range c {
				for y := range oh {
					for x := range ow {
						acc := math.Inf(-1)
						if avg {
							acc = 0
						}
						for ry := range k {
							for rx := range k {
								hh, ww := y*s+ry-pad, x*s+rx-pad
								if hh < 0 || hh >= h || ww < 0 || ww >= w {
									continue
								}
								v := f64(in[0][ix([]int64{n, c, h, w}, b, ch, hh, ww)])
								if avg {
									acc += v
								} else {
									acc = max(acc, v)
								}
							}
						}
						if avg {
							acc /= float64(k * k)
						}
						out[ix([]int64{n, c, oh, ow}, b, ch, y, x)] = acc
					}
				}
			}
		}
		return out
	}
}

func refBatchMatmul(p map[string]int64, in [][]float32) []float64 {
	nb, m, n, k := max(p["B"], 1), p["M"], p["N"], p["K"]
	out := make([]float64, nb*m*n)
	for b := range nb {
		for i := range m {
			for j := range n {
				acc := 0.0
				for r := range k {
					acc += f64(in[0][(b*m+i)*k+r]) * f64(in[1][(b*k+r)*n+j])
				}
				out[(b*m+i)*n+j] = acc
			}
		}
	}
	return out
}

func refDenseBiasRelu(p map[string]int64, in [][]float32) []float64 {
	m, n, k := p["M"], p["N"], p["K"]
	out := make([]float64, m*n)
	for i := range m {
		for j := range n {
			acc := 0.0
			for r := range k {
				acc += f64(in[0][i*k+r]) * f64(in[1][j*k+r])
			}
			out[i*n+j] = max(acc+f64(in[2][j]), 0)
		}
	}
	return out
}

func refNorm(p map[string]int64, in [][]float32) []float64 {
	nb, m, n := p["B"], p["M"], p["N"]
	out := make([]float64, nb)
	for b := range nb {
		acc := 0.0
		for i := range m * n {
			v := f64(in[0][b*m*n+i])
			acc += v * v
		}
		out[b] = math.Sqrt(acc)
	}
	return out
}

func refSoftmax(p map[string]int64, in [][]float32) []float64 {
	m, n := p["M"], p["N"]
	out := make([]float64, m*n)
	for i := range m {
		row := in[0][i*n : (i+1)*n]
		sum := 0.0
		for _, v := range row {
			sum += math.Exp(f64(v))
		}
		for j, v := range row {
			out[i*n+int64(j)] = math.Exp(f64(v)) / sum
		}
	}
	return out
}

func refLayernorm(p map[string]int64, in [][]float32) []float64 {
	m, n := p["M"], p["N"]
	out := make([]float64, m*n)
	for i := range m {
		row := in[0][i*n : (i+1)*n]
		mean, sq := 0.0, 0.0
		for _, v := range row {
			mean += f64(v)
		}
		mean /= float64(n)
		for _, v := range row {
			sq += (f64(v) - mean) * (f64(v) - mean)
		}
		std := math.Sqrt(sq/float64(n) + 1e-5)
		for j, v := range row {
			out[i*n+int64(j)] = (f64(v)-mean)/std*f64(in[1][j]) + f64(in[2][j])
		}
	}
	return out
}

func TestNumeric(t *testing.T) {
	cases := []struct {
		op   string
		args map[string]int64 // overrides of Small
		ref  reference
	}{
		{"gmm", nil, refBatchMatmul},
		{"gmm", map[string]int64{"M": 1, "N": 13, "K": 1}, refBatchMatmul},
		{"bmm", nil, refBatchMatmul},
		{"dense_bias_relu", nil, refDenseBiasRelu},
		{"nrm", nil, refNorm},
		{"softmax", nil, refSoftmax},
		{"layernorm", nil, refLayernorm},
		{"c1d", nil, refConv1d},
		{"c1d", map[string]int64{"stride": 1, "pad": 2, "dilation": 2}, refConv1d},
		{"c2d", nil, refConv2d},
		{"c2d", map[string]int64{"stride": 1, "pad": 0}, refConv2d},
		{"c2d", map[string]int64{"KH": 2, "KW": 3, "stride": 3, "pad": 2}, refConv2d},
		{"c3d", nil, refConv3d},
		{"grp", nil, refConv2d},
		{"grp", map[string]int64{"CO": 3}, refConv2d},
		{"grp", map[string]int64{"CI": 3, "groups": 3}, refConv2d},
		{"dil", nil, refConv2d},
		{"dep", nil, refDepthwise},
		{"t2d", nil, refTransposed},
		{"t2d", map[string]int64{"stride": 1, "pad": 0}, refTransposed},
		{"t2d", map[string]int64{"stride": 1, "pad": 2}, refTransposed},
		{"t2d", map[string]int64{"stride": 3, "pad": 0, "KH": 2, "KW": 4}, refTransposed},
		{"t2d", map[string]int64{"stride": 2, "pad": 2}, refTransposed},
		{"cap", nil, refCapsule},
		{"maxpool2d", nil, refPool(false)},
		{"maxpool2d", map[string]int64{"pad": 0, "stride": 1}, refPool(false)},
		{"avgpool2d", nil, refPool(true)},
		{"conv2d_bwd_data", nil, refBackwardData},
		{"conv2d_bwd_data", map[string]int64{"stride": 1, "pad": 0}, refBackwardData},
		{"conv2d_bwd_data", map[string]int64{"stride": 3, "pad": 2, "H": 8}, refBackwardData},
		{"conv2d_bwd_weight", nil, refBackwardWeight},
		{"conv2d_bwd_weight", map[string]int64{"stride": 3, "pad": 0}, refBackwardWeight},
	}
	for _, c := range cases {
		o, ok := Lookup(c.op)
		if !ok {
			t.Fatalf("no operator %s", c.op)
		}
		args := map[string]int64{}
		for k, v := range o.Small {
			args[k] = v
		}
		for k, v := range c.args {
			args[k] = v
		}
		checkNumeric(t, c.op, args, c.ref)
	}
}

// checkNumeric evaluates operator op at args with the interpreter and
// compares with ref, in a subtest.
func checkNumeric(t *testing.T, op string, args map[string]int64, ref reference) {
	t.Helper()
	o, ok := Lookup(op)
	if !ok {
		t.Fatalf("no operator %s", op)
	}
	t.Run(o.Spec(args), func(t *testing.T) {
		d := build(t, o, args)
		inputs := interp.RandomInputs(d, 7)
		got, err := interp.Eval(d, inputs)
		if err != nil {
			t.Fatalf("Eval: %v\n%s", err, d)
		}
		in := make([][]float32, len(inputs))
		for i, x := range inputs {
			in[i] = x.F32
		}
		p, err := o.Resolve(args)
		if err != nil {
			t.Fatal(err)
		}
		want := ref(p, in)
		if len(got) != 1 || len(got[0].F32) != len(want) {
			t.Fatalf("got %v, want one output of %d elements\n%s", got, len(want), d)
		}
		bad := 0
		for i, w := range want {
			if g := got[0].F32[i]; !closeTo(g, w) {
				if bad < 5 {
					t.Errorf("element %d: got %v, want %v", i, g, w)
				}
				bad++
			}
		}
		if bad > 0 {
			t.Fatalf("%d of %d elements differ\n%s", bad, len(want), d)
		}
	})
}

// TestNumericPhases checks the phase decomposition of the transposed
// convolutions (phaseConv) over many shapes: strides 1 to 3, every
// padding, kernels the stride does not divide, and outputs it does not
// divide, each dimension on its own.
func TestNumericPhases(t *testing.T) {
	type shape struct{ h, w, kh, kw int64 }
	shapes := []shape{{3, 4, 1, 2}, {4, 3, 3, 3}, {3, 5, 4, 2}, {5, 4, 5, 3}, {2, 2, 3, 5}}
	n := 0
	for s := int64(1); s <= 3; s++ {
		for _, sh := range shapes {
			for pad := int64(0); pad < min(sh.kh, sh.kw); pad++ {
				t2d := map[string]int64{"N": 1, "CI": 2, "CO": 3, "H": sh.h, "W": sh.w, "KH": sh.kh, "KW": sh.kw, "stride": s, "pad": pad}
				if (sh.h-1)*s-2*pad+sh.kh > 0 && (sh.w-1)*s-2*pad+sh.kw > 0 {
					checkNumeric(t, "t2d", t2d, refTransposed)
					n++
				}
				// The data gradient of the convolution of an input of the
				// same size: H+2*pad-KH need not be a multiple of the stride.
				bwd := map[string]int64{"N": 1, "CI": 3, "CO": 2, "H": sh.h + 2, "W": sh.w + 3, "KH": sh.kh, "KW": sh.kw, "stride": s, "pad": pad}
				if sh.h+2+2*pad >= sh.kh && sh.w+3+2*pad >= sh.kw {
					checkNumeric(t, "conv2d_bwd_data", bwd, refBackwardData)
					n++
				}
			}
		}
	}
	if n < 60 {
		t.Errorf("only %d shapes checked", n)
	}
}
