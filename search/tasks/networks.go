package tasks

// networks are the built-in network specs.
var networks = map[string]string{
	"resnet50": resnet50,
}

// resnet50 lists the convolution and dense layers of ResNet-50 (batch 1,
// NCHW), each with the number of times it appears: the tasks of tuning a
// whole network.
const resnet50 = `# ResNet-50, batch 1: weight spec
1 c2d:N=1,CI=3,H=224,W=224,CO=64,KH=7,KW=7,stride=2,pad=3
# stage 1, 56x56
1 c2d:N=1,CI=64,H=56,W=56,CO=64,KH=1,KW=1,stride=1,pad=0
3 c2d:N=1,CI=64,H=56,W=56,CO=64,KH=3,KW=3,stride=1,pad=1
4 c2d:N=1,CI=64,H=56,W=56,CO=256,KH=1,KW=1,stride=1,pad=0
2 c2d:N=1,CI=256,H=56,W=56,CO=64,KH=1,KW=1,stride=1,pad=0
# stage 2, 28x28
1 c2d:N=1,CI=256,H=56,W=56,CO=128,KH=1,KW=1,stride=1,pad=0
1 c2d:N=1,CI=128,H=56,W=56,CO=128,KH=3,KW=3,stride=2,pad=1
4 c2d:N=1,CI=128,H=28,W=28,CO=512,KH=1,KW=1,stride=1,pad=0
1 c2d:N=1,CI=256,H=56,W=56,CO=512,KH=1,KW=1,stride=2,pad=0
3 c2d:N=1,CI=512,H=28,W=28,CO=128,KH=1,KW=1,stride=1,pad=0
3 c2d:N=1,CI=128,H=28,W=28,CO=128,KH=3,KW=3,stride=1,pad=1
# stage 3, 14x14
1 c2d:N=1,CI=512,H=28,W=28,CO=256,KH=1,KW=1,stride=1,pad=0
1 c2d:N=1,CI=256,H=28,W=28,CO=256,KH=3,KW=3,stride=2,pad=1
6 c2d:N=1,CI=256,H=14,W=14,CO=1024,KH=1,KW=1,stride=1,pad=0
1 c2d:N=1,CI=512,H=28,W=28,CO=1024,KH=1,KW=1,stride=2,pad=0
5 c2d:N=1,CI=1024,H=14,W=14,CO=256,KH=1,KW=1,stride=1,pad=0
5 c2d:N=1,CI=256,H=14,W=14,CO=256,KH=3,KW=3,stride=1,pad=1
# stage 4, 7x7
1 c2d:N=1,CI=1024,H=14,W=14,CO=512,KH=1,KW=1,stride=1,pad=0
1 c2d:N=1,CI=512,H=14,W=14,CO=512,KH=3,KW=3,stride=2,pad=1
3 c2d:N=1,CI=512,H=7,W=7,CO=2048,KH=1,KW=1,stride=1,pad=0
1 c2d:N=1,CI=1024,H=14,W=14,CO=2048,KH=1,KW=1,stride=2,pad=0
2 c2d:N=1,CI=2048,H=7,W=7,CO=512,KH=1,KW=1,stride=1,pad=0
2 c2d:N=1,CI=512,H=7,W=7,CO=512,KH=3,KW=3,stride=1,pad=1
# classifier
1 dense_bias_relu:M=1,N=1000,K=2048
`
