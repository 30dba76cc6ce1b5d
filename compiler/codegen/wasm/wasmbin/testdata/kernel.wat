(module
  (type $t0 (func (param i32 i32 i32 i32 f32) (result f32)))
  (import "env" "memory" (memory 1))
  (global $g0 i32 (i32.const 0))
  (export "scratch_bytes" (global 0))
  (export "kernel" (func 0))
  (func $f0 (type 0) (param i32 i32 i32 i32 f32) (result f32)
    (local i32 v128 v128)
    local.get 4
    f32x4.splat
    local.set 6
    block
      loop
        local.get 2
        local.get 5
        i32.add
        local.get 0
        local.get 5
        i32.add
        v128.load
        local.get 1
        local.get 5
        i32.add
        v128.load align=4
        f32x4.mul
        local.get 6
        f32x4.add
        v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000
        f32x4.max
        local.tee 7
        v128.store
        local.get 5
        i32.const 16
        i32.add
        local.tee 5
        local.get 3
        i32.lt_u
        br_if 0
      end
    end
    local.get 7
    f32x4.extract_lane 0
    local.get 7
    f32x4.extract_lane 1
    f32.add
    local.get 7
    f32x4.extract_lane 2
    f32.add
    local.get 7
    f32x4.extract_lane 3
    f32.add
  )
)
