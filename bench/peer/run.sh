#!/usr/bin/env bash
# Peer benchmark: XNNPACK (tfjs-backend-wasm, SIMD, 1 thread) and the
# f32x4 mul+add peak, in node; with --jobs, bench/zoo's operators through
# XNNPACK and onnxruntime-web (zoo.js). See README.md.
#
#   bench/peer/run.sh [--workloads gmm,c2d,c2d_s2,t2d,softmax,layernorm,peak,copy] [--min-time SECONDS] [--readback] [--jobs JOBS.json]
#
# stdout: JSON lines only (one per workload; peak: one per chain count;
# copy: one per buffer size; --jobs: one per job and peer).
# Installs node_modules with `npm ci` from package-lock.json when missing.
set -euo pipefail
cd "$(dirname "$0")"

NODE=${NODE:-node}
workloads=gmm,c2d,peak
min_time=1
readback=()
jobs=
usage() { echo "usage: $0 [--workloads gmm,c2d,peak,copy] [--min-time SECONDS] [--readback] [--jobs JOBS.json]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--workloads) [ $# -ge 2 ] || usage; workloads=$2; shift 2 ;;
	--workloads=*) workloads=${1#*=}; shift ;;
	--min-time) [ $# -ge 2 ] || usage; min_time=$2; shift 2 ;;
	--min-time=*) min_time=${1#*=}; shift ;;
	--readback) readback=(--readback); shift ;;
	--jobs) [ $# -ge 2 ] || usage; jobs=$(realpath "$2"); workloads=; shift 2 ;;
	--jobs=*) jobs=$(realpath "${1#*=}"); workloads=; shift ;;
	-h | --help) usage ;;
	*) echo "$0: unknown argument $1" >&2; usage ;;
	esac
done

command -v "$NODE" >/dev/null || { echo "$0: $NODE not found; install node 20 or set NODE=" >&2; exit 1; }
major=$("$NODE" -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "$0: node $("$NODE" --version) is too old; need node >= 20" >&2; exit 1; }

# xnnpack.js and zoo.js need the pinned packages; peak.js needs nothing.
tf=()
for w in ${workloads//,/ }; do
	case $w in
	gmm | c2d | c2d:* | c2d_s2 | t2d | t2d8 | t2d3 | softmax | softmax:* | layernorm | layernorm:* | nrm | nrm:*) tf+=("$w") ;;
	*=*) tf+=("$w") ;; # a parameter of the spec before it (softmax:M=384,N=384)
	peak | copy) ;;
	*) echo "$0: unknown workload $w (have gmm, c2d[:stride=..], c2d_s2, t2d, t2d8, t2d3, softmax[:M=..,N=..], layernorm[:M=..,N=..], nrm[:B=..,M=..,N=..], peak, copy)" >&2; exit 2 ;;
	esac
done

if { [ ${#tf[@]} -gt 0 ] || [ -n "$jobs" ]; } && { [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
	echo "$0: installing node_modules with npm ci (package-lock.json)" >&2
	command -v npm >/dev/null || { echo "$0: npm not found" >&2; exit 1; }
	if ! npm ci --no-audit --no-fund --prefer-offline --fetch-retries=1 --fetch-timeout=30000 >&2; then
		echo "$0: npm ci failed. It needs the npm registry ($(npm config get registry 2>/dev/null)) or an npm cache" >&2
		echo "    holding @tensorflow/tfjs-core and @tensorflow/tfjs-backend-wasm 4.22.0 and onnxruntime-web 1.30.0 (see package-lock.json)." >&2
		exit 1
	fi
fi

# --no-liftoff: TurboFan code from the first call, as tabtune's node measurer runs kernels.
if [ ${#tf[@]} -gt 0 ]; then
	list=$(IFS=,; echo "${tf[*]}")
	"$NODE" --no-liftoff xnnpack.js --workloads "$list" --min-time "$min_time" "${readback[@]}"
fi
peak=()
case ",$workloads," in *,peak,*) ;; *) peak=(--chains "") ;; esac
case ",$workloads," in
*,copy,*) "$NODE" --no-liftoff peak.js --min-time "$min_time" "${peak[@]}" --copy 256,4096,65536 ;;
*,peak,*) "$NODE" --no-liftoff peak.js --min-time "$min_time" ;;
esac
if [ -n "$jobs" ]; then
	"$NODE" --no-liftoff zoo.js --jobs "$jobs" --min-time "$min_time"
fi
