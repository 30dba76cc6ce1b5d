package main

import (
	"fmt"

	"github.com/tabtune/tabtune/compiler/ops"
)

// A shape is one row's workload: a zoo operator at some parameters.
type shape struct {
	name string // "default", or where the layer comes from
	args string // the spec's parameters; "" is the operator's defaults
}

// shapes are the benchmarked shapes of every zoo operator: its default
// (the shape Ansor and TVM benchmark) first, then two layers of real
// networks of its class. ResNet-50 (He et al. 2016; conv2_x..conv5_x at
// 56, 28, 14, 7 pixels), MobileNet-v1 (its depthwise layers), ResNeXt-50
// 32x4d (its group convolutions), DeepLab-v3 (dilated 3x3 at output
// stride 8/16), DCGAN's generator (4x4 stride-2 transposed convolutions,
// 4 -> 8 -> 16 -> 32 pixels), BERT-base and BERT-large (sequence 128
// and 512, hidden 768/1024, FFN 3072, 12 heads of 64), C3D/R3D (3x3x3
// convolutions on 8-frame clips), a 1-D temporal convolution network
// (TCN/WaveNet-like layers), CapsNet-like capsule layers.
var shapes = map[string][]shape{
	"c1d": {
		{"default", ""},
		{"TCN 64ch, 256 steps", "N=1,CI=64,W=256,CO=64,KW=3,stride=1,pad=1,dilation=1"},
		{"TCN 128->256ch, k5", "N=1,CI=128,W=128,CO=256,KW=5,stride=1,pad=2,dilation=1"},
	},
	"c2d": {
		{"default", ""},
		{"ResNet-50 conv3_1 3x3 s2", "N=1,CI=128,H=56,W=56,CO=128,KH=3,KW=3,stride=2,pad=1"},
		{"ResNet-50 conv2 1x1 256->64", "N=1,CI=256,H=56,W=56,CO=64,KH=1,KW=1,stride=1,pad=0"},
	},
	"c3d": {
		{"default", ""},
		{"C3D conv3 8x28x28 64->128", "N=1,CI=64,D=8,H=28,W=28,CO=128,KD=3,KH=3,KW=3,stride=1,pad=1"},
		{"R3D conv5 2x7x7 256->256", "N=1,CI=256,D=2,H=7,W=7,CO=256,KD=3,KH=3,KW=3,stride=1,pad=1"},
	},
	"gmm": {
		{"default", ""},
		{"BERT-base QKV 128x768x768", "M=128,N=768,K=768"},
		{"BERT-base FFN out 128x768x3072", "M=128,N=768,K=3072"},
	},
	"grp": {
		{"default", ""},
		{"ResNeXt-50 conv2 3x3 g32", "N=1,CI=128,H=56,W=56,CO=128,KH=3,KW=3,stride=1,pad=1,groups=32"},
		{"ResNeXt-50 conv4 3x3 g32", "N=1,CI=512,H=14,W=14,CO=512,KH=3,KW=3,stride=1,pad=1,groups=32"},
	},
	"dil": {
		{"default", ""},
		{"DeepLab-v3 28x28 256ch d2", "N=1,CI=256,H=28,W=28,CO=256,KH=3,KW=3,stride=1,pad=2,dilation=2"},
		{"DeepLab-v3 ASPP 14x14 512ch d4", "N=1,CI=512,H=14,W=14,CO=256,KH=3,KW=3,stride=1,pad=4,dilation=4"},
	},
	"dep": {
		{"default", ""},
		{"MobileNet-v1 dw2 64ch s2", "N=1,C=64,H=112,W=112,KH=3,KW=3,stride=2,pad=1"},
		{"MobileNet-v1 dw7 512ch 14x14", "N=1,C=512,H=14,W=14,KH=3,KW=3,stride=1,pad=1"},
	},
	"t2d": {
		{"default", ""},
		{"DCGAN G 8->16 256->128", "N=1,CI=256,H=8,W=8,CO=128,KH=4,KW=4,stride=2,pad=1"},
		{"DCGAN G 16->32 128->64", "N=1,CI=128,H=16,W=16,CO=64,KH=4,KW=4,stride=2,pad=1"},
	},
	"cap": {
		{"default", ""},
		{"capsule 16x16 stride 1", "N=1,H=16,W=16,CI=32,CO=32,KH=3,KW=3,stride=1,pad=1,capsule=4"},
		{"capsule 8x8 64ch", "N=1,H=8,W=8,CI=64,CO=64,KH=3,KW=3,stride=1,pad=1,capsule=4"},
	},
	"nrm": {
		{"default", ""},
		{"BERT-base FFN weight 768x3072", "B=1,M=768,N=3072"},
		{"64 matrices 256x256", "B=64,M=256,N=256"},
	},
	"bmm": {
		{"default", ""},
		{"BERT-base context 12x128x64x128", "B=12,M=128,N=64,K=128"},
		{"BERT-base seq 512 scores", "B=12,M=512,N=512,K=64"},
	},
	"dense_bias_relu": {
		{"default", ""},
		{"BERT-base 128x768x768", "M=128,N=768,K=768"},
		{"BERT-base seq 512 FFN", "M=512,N=3072,K=768"},
	},
	"softmax": {
		{"default", ""},
		{"BERT-base seq 512 scores", "M=6144,N=512"},
		{"classifier 64x1000", "M=64,N=1000"},
	},
	"layernorm": {
		{"default", ""},
		{"BERT-base seq 128", "M=128,N=768"},
		{"BERT-large seq 512", "M=512,N=1024"},
	},
	"maxpool2d": {
		{"default", ""},
		{"VGG-16 pool2 2x2 128ch", "N=1,C=128,H=112,W=112,K=2,stride=2,pad=0"},
		{"VGG-16 pool3 2x2 256ch", "N=1,C=256,H=56,W=56,K=2,stride=2,pad=0"},
	},
	"avgpool2d": {
		{"default", ""},
		{"ResNet-50 global 7x7 2048ch", "N=1,C=2048,H=7,W=7,K=7,stride=1,pad=0"},
		{"Inception-v3 3x3 s1 192ch", "N=1,C=192,H=35,W=35,K=3,stride=1,pad=1"},
	},
	"conv2d_bwd_data": {
		{"default", ""},
		{"ResNet-50 conv3 28x28 128ch", "N=1,CI=128,H=28,W=28,CO=128,KH=3,KW=3,stride=1,pad=1"},
		{"ResNet-50 conv3_1 s2", "N=1,CI=128,H=56,W=56,CO=128,KH=3,KW=3,stride=2,pad=1"},
	},
	"conv2d_bwd_weight": {
		{"default", ""},
		{"ResNet-50 conv3 28x28 128ch", "N=1,CI=128,H=28,W=28,CO=128,KH=3,KW=3,stride=1,pad=1"},
		{"ResNet-50 conv4 14x14 256ch", "N=1,CI=256,H=14,W=14,CO=256,KH=3,KW=3,stride=1,pad=1"},
	},
}

// bandwidthOps are the operators whose speed is reported as GB/s of input
// read: they do a few flops per element and are bound by memory.
var bandwidthOps = map[string]bool{"nrm": true, "softmax": true, "layernorm": true, "maxpool2d": true, "avgpool2d": true}

// spec is the full spec of a shape of op, every parameter resolved.
func (s shape) spec(op string) (string, map[string]int64, error) {
	src := op
	if s.args != "" {
		src += ":" + s.args
	}
	o, args, err := ops.ParseSpec(src)
	if err != nil {
		return "", nil, err
	}
	p, err := o.Resolve(args)
	if err != nil {
		return "", nil, err
	}
	return o.Spec(p), p, nil
}

// usefulFLOPs is the work of a transposed convolution (t2d, and
// conv2d_bwd_data, the same operation) that touches real input: 2 flops
// for each input pixel, kernel tap and output channel whose product lands
// inside the output, whatever zeros the program multiplies besides. It is
// computed from the shape alone. ok is false for the other operators,
// whose FLOPs are the program's (te.DAG.FLOPs).
func usefulFLOPs(op string, p map[string]int64) (flops float64, ok bool) {
	// taps counts the pairs (input position i < in, kernel tap k < kern)
	// with 0 <= i*stride - pad + k < out.
	taps := func(in, kern, out int64) int64 {
		n := int64(0)
		for i := range in {
			for k := range kern {
				if o := i*p["stride"] - p["pad"] + k; o >= 0 && o < out {
					n++
				}
			}
		}
		return n
	}
	s, pad := p["stride"], p["pad"]
	switch op {
	case "t2d":
		oh := (p["H"]-1)*s - 2*pad + p["KH"]
		ow := (p["W"]-1)*s - 2*pad + p["KW"]
		return 2 * float64(p["N"]*p["CI"]*p["CO"]*taps(p["H"], p["KH"], oh)*taps(p["W"], p["KW"], ow)), true
	case "conv2d_bwd_data":
		// The input gradient is the transposed convolution of the output
		// gradient (OH x OW, CO channels) into H x W with CI channels.
		oh := (p["H"]+2*pad-p["KH"])/s + 1
		ow := (p["W"]+2*pad-p["KW"])/s + 1
		return 2 * float64(p["N"]*p["CI"]*p["CO"]*taps(oh, p["KH"], p["H"])*taps(ow, p["KW"], p["W"])), true
	}
	return 0, false
}

// checkShapes reports a zoo operator without shapes, or shapes of an
// operator the zoo does not have.
func checkShapes() error {
	for _, name := range ops.Names() {
		if len(shapes[name]) == 0 {
			return fmt.Errorf("bench/zoo has no shapes for the zoo's operator %s", name)
		}
	}
	for name := range shapes {
		if _, ok := ops.Lookup(name); !ok {
			return fmt.Errorf("bench/zoo has shapes for %s, which the zoo does not have", name)
		}
	}
	return nil
}
