(module
  (type $t0 (func (param i32 i32 i32) (result)))
  (type $t1 (func (param f32) (result f32)))
  (import "env" "memory" (memory 1))
  (global $g0 i32 (i32.const 112))
  (export "kernel" (func 0))
  (export "scratch_bytes" (global 0))
  (func $f0 (type 0) (param i32 i32 i32)
    (local i32 i32 i32 i32 i32 i32 f32 i32 f32 f32 f32 i32 i32 i32)
    local.get 2
    local.set 3
    local.get 2
    i32.const 16
    i32.add
    local.set 4
    local.get 2
    i32.const 80
    i32.add
    local.set 5
    local.get 2
    i32.const 96
    i32.add
    local.set 6
    i32.const 0
    local.set 7
    loop
      local.get 3
      local.get 7
      i32.const 2
      i32.shl
      i32.add
      f32.const -inf
      f32.store
      i32.const 0
      local.set 8
      local.get 3
      local.get 7
      i32.const 2
      i32.shl
      i32.add
      f32.load
      local.set 9
      local.get 0
      local.get 7
      i32.const 8
      i32.mul
      i32.const 2
      i32.shl
      i32.add
      local.set 10
      loop
        local.get 9
        local.set 11
        local.get 10
        f32.load
        local.tee 13
        local.set 12
        local.get 12
        local.get 11
        local.get 11
        local.get 12
        f32.lt
        select
        local.set 9
        local.get 10
        i32.const 4
        i32.add
        local.set 10
        local.get 8
        i32.const 1
        i32.add
        local.tee 8
        i32.const 8
        i32.lt_s
        br_if 0
      end
      local.get 3
      local.get 7
      i32.const 2
      i32.shl
      i32.add
      local.get 9
      f32.store
      local.get 5
      local.get 7
      i32.const 2
      i32.shl
      i32.add
      f32.const 0
      f32.store
      i32.const 0
      local.set 14
      local.get 3
      local.get 7
      i32.const 2
      i32.shl
      i32.add
      f32.load
      local.set 9
      local.get 5
      local.get 7
      i32.const 2
      i32.shl
      i32.add
      f32.load
      local.set 13
      local.get 0
      local.get 7
      i32.const 8
      i32.mul
      i32.const 2
      i32.shl
      i32.add
      local.set 10
      local.get 4
      local.get 7
      i32.const 8
      i32.mul
      i32.const 2
      i32.shl
      i32.add
      local.set 15
      loop
        local.get 15
        local.get 10
        f32.load
        local.tee 12
        local.get 9
        f32.sub
        call 1
        f32.store
        local.get 13
        local.get 15
        f32.load
        local.tee 11
        f32.add
        local.set 13
        local.get 10
        i32.const 4
        i32.add
        local.set 10
        local.get 15
        i32.const 4
        i32.add
        local.set 15
        local.get 14
        i32.const 1
        i32.add
        local.tee 14
        i32.const 8
        i32.lt_s
        br_if 0
      end
      local.get 5
      local.get 7
      i32.const 2
      i32.shl
      i32.add
      local.get 13
      f32.store
      local.get 6
      local.get 7
      i32.const 2
      i32.shl
      i32.add
      f32.const 1
      local.get 5
      local.get 7
      i32.const 2
      i32.shl
      i32.add
      f32.load
      local.tee 13
      f32.div
      f32.store
      i32.const 0
      local.set 16
      local.get 6
      local.get 7
      i32.const 2
      i32.shl
      i32.add
      f32.load
      local.set 9
      local.get 4
      local.get 7
      i32.const 8
      i32.mul
      i32.const 2
      i32.shl
      i32.add
      local.set 15
      local.get 1
      local.get 7
      i32.const 8
      i32.mul
      i32.const 2
      i32.shl
      i32.add
      local.set 10
      loop
        local.get 10
        local.get 15
        f32.load
        local.tee 13
        local.get 9
        f32.mul
        f32.store
        local.get 15
        i32.const 4
        i32.add
        local.set 15
        local.get 10
        i32.const 4
        i32.add
        local.set 10
        local.get 16
        i32.const 1
        i32.add
        local.tee 16
        i32.const 8
        i32.lt_s
        br_if 0
      end
      local.get 7
      i32.const 1
      i32.add
      local.tee 7
      i32.const 2
      i32.lt_s
      br_if 0
    end
  )
  (func $f1 (type 1) (param f32) (result f32)
    (local f32 f32 f32 f32 f32 f32)
    local.get 0
    f32.const -88
    f32.max
    local.set 1
    local.get 1
    f32.const 1.442695
    f32.mul
    f32.const 1.2583039e+07
    f32.add
    local.set 2
    local.get 2
    f32.const 1.2583039e+07
    f32.sub
    local.set 3
    local.get 1
    local.get 3
    f32.const 0.6933594
    f32.mul
    f32.sub
    local.set 4
    local.get 4
    local.get 3
    f32.const -0.00021219444
    f32.mul
    f32.sub
    local.set 5
    local.get 2
    i32.reinterpret_f32
    i32.const 23
    i32.shl
    f32.reinterpret_i32
    local.set 6
    local.get 5
    local.get 6
    f32.mul
    f32.const 0.008289291
    local.get 5
    f32.mul
    f32.const 0.041897822
    f32.add
    local.get 5
    f32.mul
    f32.const 0.16667652
    f32.add
    local.get 5
    f32.mul
    f32.const 0.4999915
    f32.add
    local.get 5
    f32.mul
    f32.const 0.9999997
    f32.add
    f32.mul
    local.get 6
    f32.add
  )
)
