(module
  (type $t0 (func (param i32) (result i32)))
  (type $t1 (func (param i32 i64 f32 f64 v128) (result f32)))
  (import "env" "memory" (memory 1))
  (global $g0 (mut i32) (i32.const -7))
  (global $g1 i32 (i32.const 1048576))
  (export "counter" (global 0))
  (export "scratch_bytes" (global 1))
  (export "kernel" (func 1))
  (func $f0 (type 0) (param i32) (result i32)
    local.get 0
  )
  (func $f1 (type 1) (param i32 i64 f32 f64 v128) (result f32)
    (local i32 v128 v128 f32)
    block
      loop (result i32)
        local.get 0
        br_if 1
        i32.const 1
      end
      drop
      block (result f32)
        f32.const 1.5
        local.get 0
        br_table 0 0 0
      end
      drop
      local.get 0
      if (result i32)
        i32.const 1
      else
        i32.const 2
      end
      call 0
      local.set 5
      local.get 0
      if
        unreachable
      end
      local.get 0
      if
        f32.const 0
        return
      end
      nop
      br 0
    end
    local.get 0
    local.tee 5
    drop
    global.get 0
    global.set 0
    local.get 0
    local.get 5
    local.get 0
    select
    drop
    local.get 4
    local.get 6
    local.get 0
    select (result v128)
    drop
    i32.const -2147483648
    drop
    i64.const -9223372036854775808
    drop
    f32.const -0.1
    drop
    f32.const nan
    drop
    f32.const inf
    drop
    f32.const -nan:0x200001
    drop
    f64.const 1e+100
    drop
    v128.const i32x4 0x3f800000 0xc0000000 0x3f000000 0x7f61b1e6
    drop
    v128.const i32x4 0xffffffff 0x00000000 0x7f800001 0x0000002a
    drop
    v128.const i32x4 0x00000001 0x00000000 0x00000000 0xff000000
    drop
    local.get 0
    i32.load
    drop
    local.get 0
    f32.load offset=4
    drop
    local.get 0
    i32.load8_s offset=8
    drop
    local.get 0
    i32.load8_u offset=12
    drop
    local.get 0
    i32.load16_s offset=16
    drop
    local.get 0
    i32.load16_u offset=20
    drop
    local.get 0
    v128.load32_splat offset=24
    drop
    local.get 0
    v128.load64_splat offset=28
    drop
    local.get 0
    v128.load32_zero offset=32
    drop
    local.get 0
    v128.load64_zero offset=36
    drop
    local.get 0
    v128.load offset=16
    drop
    local.get 0
    v128.load align=4
    drop
    local.get 0
    local.get 0
    i32.store
    local.get 0
    local.get 0
    i32.store8 offset=1
    local.get 0
    local.get 0
    i32.store16 offset=2
    local.get 0
    local.get 2
    f32.store offset=8
    local.get 0
    local.get 4
    v128.store
    local.get 0
    local.get 4
    v128.store offset=3 align=1
    local.get 0
    local.get 4
    v128.load32_lane 0
    drop
    local.get 0
    local.get 4
    v128.load64_lane offset=8 1
    drop
    local.get 0
    local.get 4
    v128.store32_lane offset=4 1
    local.get 0
    local.get 4
    v128.store64_lane offset=12 1
    memory.size
    drop
    i32.const 1
    memory.grow
    drop
    local.get 0
    i32.const 0
    i32.const 64
    memory.fill
    local.get 0
    local.get 0
    i32.const 64
    memory.copy
    local.get 4
    f32x4.extract_lane 3
    drop
    local.get 4
    i32x4.extract_lane 0
    drop
    local.get 4
    local.get 2
    f32x4.replace_lane 1
    local.set 6
    local.get 4
    local.get 0
    i32x4.replace_lane 2
    local.set 7
    local.get 6
    local.get 7
    i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 31 30 29 28
    drop
    nop
    local.get 0
    i32.eqz
    drop
    local.get 0
    local.get 0
    i32.eq
    drop
    local.get 0
    local.get 0
    i32.ne
    drop
    local.get 0
    local.get 0
    i32.lt_s
    drop
    local.get 0
    local.get 0
    i32.lt_u
    drop
    local.get 0
    local.get 0
    i32.gt_s
    drop
    local.get 0
    local.get 0
    i32.gt_u
    drop
    local.get 0
    local.get 0
    i32.le_s
    drop
    local.get 0
    local.get 0
    i32.le_u
    drop
    local.get 0
    local.get 0
    i32.ge_s
    drop
    local.get 0
    local.get 0
    i32.ge_u
    drop
    local.get 2
    local.get 2
    f32.eq
    drop
    local.get 2
    local.get 2
    f32.ne
    drop
    local.get 2
    local.get 2
    f32.lt
    drop
    local.get 2
    local.get 2
    f32.gt
    drop
    local.get 2
    local.get 2
    f32.le
    drop
    local.get 2
    local.get 2
    f32.ge
    drop
    local.get 0
    i32.clz
    drop
    local.get 0
    i32.ctz
    drop
    local.get 0
    i32.popcnt
    drop
    local.get 0
    local.get 0
    i32.add
    drop
    local.get 0
    local.get 0
    i32.sub
    drop
    local.get 0
    local.get 0
    i32.mul
    drop
    local.get 0
    local.get 0
    i32.div_s
    drop
    local.get 0
    local.get 0
    i32.div_u
    drop
    local.get 0
    local.get 0
    i32.rem_s
    drop
    local.get 0
    local.get 0
    i32.rem_u
    drop
    local.get 0
    local.get 0
    i32.and
    drop
    local.get 0
    local.get 0
    i32.or
    drop
    local.get 0
    local.get 0
    i32.xor
    drop
    local.get 0
    local.get 0
    i32.shl
    drop
    local.get 0
    local.get 0
    i32.shr_s
    drop
    local.get 0
    local.get 0
    i32.shr_u
    drop
    local.get 0
    local.get 0
    i32.rotl
    drop
    local.get 0
    local.get 0
    i32.rotr
    drop
    local.get 1
    local.get 1
    i64.shl
    drop
    local.get 2
    f32.abs
    drop
    local.get 2
    f32.neg
    drop
    local.get 2
    f32.ceil
    drop
    local.get 2
    f32.floor
    drop
    local.get 2
    f32.trunc
    drop
    local.get 2
    f32.nearest
    drop
    local.get 2
    f32.sqrt
    drop
    local.get 2
    local.get 2
    f32.add
    drop
    local.get 2
    local.get 2
    f32.sub
    drop
    local.get 2
    local.get 2
    f32.mul
    drop
    local.get 2
    local.get 2
    f32.div
    drop
    local.get 2
    local.get 2
    f32.min
    drop
    local.get 2
    local.get 2
    f32.max
    drop
    local.get 2
    local.get 2
    f32.copysign
    drop
    local.get 3
    local.get 3
    f64.add
    drop
    local.get 3
    local.get 3
    f64.sub
    drop
    local.get 3
    local.get 3
    f64.mul
    drop
    local.get 3
    local.get 3
    f64.div
    drop
    local.get 3
    local.get 3
    f64.min
    drop
    local.get 3
    local.get 3
    f64.max
    drop
    local.get 2
    i32.trunc_f32_s
    drop
    local.get 2
    i32.trunc_f32_u
    drop
    local.get 0
    f32.convert_i32_s
    drop
    local.get 0
    f32.convert_i32_u
    drop
    local.get 3
    f32.demote_f64
    drop
    local.get 2
    f64.promote_f32
    drop
    local.get 2
    i32.reinterpret_f32
    drop
    local.get 3
    i64.reinterpret_f64
    drop
    local.get 0
    f32.reinterpret_i32
    drop
    local.get 1
    f64.reinterpret_i64
    drop
    local.get 0
    i32.extend8_s
    drop
    local.get 0
    i32.extend16_s
    drop
    local.get 2
    i32.trunc_sat_f32_s
    drop
    local.get 2
    i32.trunc_sat_f32_u
    drop
    local.get 4
    local.get 4
    i8x16.swizzle
    drop
    local.get 0
    i32x4.splat
    drop
    local.get 2
    f32x4.splat
    drop
    local.get 4
    local.get 4
    i32x4.eq
    drop
    local.get 4
    local.get 4
    i32x4.ne
    drop
    local.get 4
    local.get 4
    i32x4.lt_s
    drop
    local.get 4
    local.get 4
    i32x4.lt_u
    drop
    local.get 4
    local.get 4
    i32x4.gt_s
    drop
    local.get 4
    local.get 4
    i32x4.gt_u
    drop
    local.get 4
    local.get 4
    i32x4.le_s
    drop
    local.get 4
    local.get 4
    i32x4.le_u
    drop
    local.get 4
    local.get 4
    i32x4.ge_s
    drop
    local.get 4
    local.get 4
    i32x4.ge_u
    drop
    local.get 4
    local.get 4
    f32x4.eq
    drop
    local.get 4
    local.get 4
    f32x4.ne
    drop
    local.get 4
    local.get 4
    f32x4.lt
    drop
    local.get 4
    local.get 4
    f32x4.gt
    drop
    local.get 4
    local.get 4
    f32x4.le
    drop
    local.get 4
    local.get 4
    f32x4.ge
    drop
    local.get 4
    v128.not
    drop
    local.get 4
    local.get 4
    v128.and
    drop
    local.get 4
    local.get 4
    v128.andnot
    drop
    local.get 4
    local.get 4
    v128.or
    drop
    local.get 4
    local.get 4
    v128.xor
    drop
    local.get 4
    local.get 4
    local.get 4
    v128.bitselect
    drop
    local.get 4
    v128.any_true
    drop
    local.get 4
    f32x4.demote_f64x2_zero
    drop
    local.get 4
    f64x2.promote_low_f32x4
    drop
    local.get 4
    f32x4.ceil
    drop
    local.get 4
    f32x4.floor
    drop
    local.get 4
    f32x4.trunc
    drop
    local.get 4
    f32x4.nearest
    drop
    local.get 4
    i32x4.abs
    drop
    local.get 4
    i32x4.neg
    drop
    local.get 4
    i32x4.all_true
    drop
    local.get 4
    i32x4.bitmask
    drop
    local.get 4
    local.get 0
    i32x4.shl
    drop
    local.get 4
    local.get 0
    i32x4.shr_s
    drop
    local.get 4
    local.get 0
    i32x4.shr_u
    drop
    local.get 4
    local.get 4
    i32x4.add
    drop
    local.get 4
    local.get 4
    i32x4.sub
    drop
    local.get 4
    local.get 4
    i32x4.mul
    drop
    local.get 4
    local.get 4
    i32x4.min_s
    drop
    local.get 4
    local.get 4
    i32x4.min_u
    drop
    local.get 4
    local.get 4
    i32x4.max_s
    drop
    local.get 4
    local.get 4
    i32x4.max_u
    drop
    local.get 4
    local.get 0
    i64x2.shl
    drop
    local.get 4
    f32x4.abs
    drop
    local.get 4
    f32x4.neg
    drop
    local.get 4
    f32x4.sqrt
    drop
    local.get 4
    local.get 4
    f32x4.add
    drop
    local.get 4
    local.get 4
    f32x4.sub
    drop
    local.get 4
    local.get 4
    f32x4.mul
    drop
    local.get 4
    local.get 4
    f32x4.div
    drop
    local.get 4
    local.get 4
    f32x4.min
    drop
    local.get 4
    local.get 4
    f32x4.max
    drop
    local.get 4
    local.get 4
    f32x4.pmin
    drop
    local.get 4
    local.get 4
    f32x4.pmax
    drop
    local.get 4
    local.get 4
    f64x2.add
    drop
    local.get 4
    local.get 4
    f64x2.sub
    drop
    local.get 4
    local.get 4
    f64x2.mul
    drop
    local.get 4
    local.get 4
    f64x2.div
    drop
    local.get 4
    local.get 4
    f64x2.pmin
    drop
    local.get 4
    local.get 4
    f64x2.pmax
    drop
    local.get 4
    i32x4.trunc_sat_f32x4_s
    drop
    local.get 4
    i32x4.trunc_sat_f32x4_u
    drop
    local.get 4
    f32x4.convert_i32x4_s
    drop
    local.get 4
    f32x4.convert_i32x4_u
    drop
    local.get 4
    local.get 4
    i8x16.relaxed_swizzle
    drop
    local.get 4
    i32x4.relaxed_trunc_f32x4_s
    drop
    local.get 4
    i32x4.relaxed_trunc_f32x4_u
    drop
    local.get 4
    local.get 4
    local.get 4
    f32x4.relaxed_madd
    drop
    local.get 4
    local.get 4
    local.get 4
    f32x4.relaxed_nmadd
    drop
    local.get 4
    local.get 4
    local.get 4
    i32x4.relaxed_laneselect
    drop
    local.get 4
    local.get 4
    f32x4.relaxed_min
    drop
    local.get 4
    local.get 4
    f32x4.relaxed_max
    drop
    local.get 2
  )
)
