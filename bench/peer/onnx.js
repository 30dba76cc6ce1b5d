// A small ONNX model encoder: the protobuf wire format of onnx.proto's
// ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto and
// ValueInfoProto, for the few fields a one-node (or few-node) f32 graph
// needs. No dependencies: protobuf is varints and length-delimited fields
// (https://protobuf.dev/programming-guides/encoding/), and onnx.proto is
// proto2, so repeated integers are written unpacked, one field each.
//
//   const { model, node, attr } = require('./onnx');
//   const bytes = model({
//     nodes: [node('MatMul', ['A', 'B'], ['C'])],
//     inputs: [['A', [4, 8]]], outputs: [['C', [4, 6]]],
//     initializers: [['B', [8, 6], Float32Array]],
//   });
'use strict';

// ---- protobuf wire format -------------------------------------------------

// varint: an unsigned (or two's-complement 64-bit, for negative int64)
// base-128 integer.
function varint(n) {
  let v = BigInt.asUintN(64, BigInt(n));
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

const tag = (field, wire) => varint((field << 3) | wire);
const VARINT = 0, LEN = 2, I32 = 5;

// A message is a list of byte chunks; these append one field.
class Msg {
  constructor() { this.parts = []; }
  int(field, v) { this.parts.push(Uint8Array.from([...tag(field, VARINT), ...varint(v)])); return this; }
  ints(field, vs) { for (const v of vs) this.int(field, v); return this; }
  float(field, v) {
    const b = new Uint8Array(5 + 4);
    const t = tag(field, I32);
    b.set(t, 0);
    new DataView(b.buffer).setFloat32(t.length, v, true);
    this.parts.push(b.subarray(0, t.length + 4));
    return this;
  }
  bytes(field, u8) {
    this.parts.push(Uint8Array.from([...tag(field, LEN), ...varint(u8.length)]), u8);
    return this;
  }
  str(field, s) { return this.bytes(field, new TextEncoder().encode(s)); }
  msg(field, m) { return this.bytes(field, m.encode()); }
  encode() {
    let n = 0;
    for (const p of this.parts) n += p.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of this.parts) { out.set(p, o); o += p.length; }
    return out;
  }
}

// ---- onnx.proto -------------------------------------------------------------

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 }; // AttributeProto.AttributeType

// attr makes an AttributeProto: a number is an INT (or FLOAT when
// float is set), an array INTS, a string STRING.
function attr(name, value, float = false) {
  const m = new Msg().str(1, name);
  if (Array.isArray(value)) m.ints(8, value).int(20, ATTR.INTS);
  else if (typeof value === 'string') m.str(4, value).int(20, ATTR.STRING);
  else if (float) m.float(2, value).int(20, ATTR.FLOAT);
  else m.int(3, value).int(20, ATTR.INT);
  return m;
}

// node makes a NodeProto; attrs maps names to attr values (see attr),
// floats names the attributes that are FLOAT.
function node(op, inputs, outputs, attrs = {}, floats = []) {
  const m = new Msg();
  for (const i of inputs) m.str(1, i);
  for (const o of outputs) m.str(2, o);
  m.str(3, `${op}_${outputs[0]}`).str(4, op);
  for (const [k, v] of Object.entries(attrs)) m.msg(5, attr(k, v, floats.includes(k)));
  return m;
}

// valueInfo is a ValueInfoProto of an f32 tensor of a fixed shape.
function valueInfo(name, shape) {
  const dims = new Msg();
  for (const d of shape) dims.msg(1, new Msg().int(1, d)); // TensorShapeProto.dim: Dimension.dim_value
  const tensorType = new Msg().int(1, FLOAT).msg(2, dims);
  return new Msg().str(1, name).msg(2, new Msg().msg(1, tensorType));
}

// tensor is a TensorProto holding f32 data (a Float32Array) as raw_data.
function tensor(name, shape, data) {
  if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`onnx: ${name}: ${data.length} elements for shape [${shape}]`);
  const m = new Msg().ints(1, shape).int(2, FLOAT).str(8, name);
  return m.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

// model encodes a ModelProto (IR version 8, the default opset 17) of one
// graph: nodes in order, graph inputs and outputs as [name, shape] pairs,
// initializers (constant weights) as [name, shape, Float32Array].
function model({ nodes, inputs, outputs, initializers = [], opset = 17 }) {
  const g = new Msg();
  for (const n of nodes) g.msg(1, n);
  g.str(2, 'tabtune_peer');
  for (const [name, shape, data] of initializers) g.msg(5, tensor(name, shape, data));
  for (const [name, shape] of inputs) g.msg(11, valueInfo(name, shape));
  for (const [name, shape] of outputs) g.msg(12, valueInfo(name, shape));
  return new Msg()
    .int(1, 8) // ir_version
    .str(2, 'tabtune')
    .msg(7, g)
    .msg(8, new Msg().str(1, '').int(2, opset)) // opset_import
    .encode();
}

module.exports = { model, node, attr, varint };
