(module
  (type $t0 (func (param i32 i32 i32 i32) (result)))
  (import "env" "memory" (memory 1))
  (global $g0 i32 (i32.const 480))
  (export "kernel" (func 0))
  (export "scratch_bytes" (global 0))
  (func $f0 (type 0) (param i32 i32 i32 i32)
    (local i32 v128 v128 v128 v128 v128 v128 v128 v128 i32 i32 i32 i32 i32 f32 i32 i32 i32 i32 v128 v128 v128 v128 v128 v128)
    local.get 3
    local.set 4
    i32.const 0
    local.set 13
    loop
      i32.const 0
      local.set 14
      loop
        i32.const 0
        local.set 15
        local.get 0
        local.get 13
        i32.const 32
        i32.mul
        local.get 14
        i32.const 8
        i32.mul
        i32.add
        i32.const 9
        i32.sub
        i32.const 2
        i32.shl
        i32.add
        local.set 16
        local.get 4
        local.get 13
        i32.const 60
        i32.mul
        local.get 14
        i32.const 10
        i32.mul
        i32.add
        i32.const 2
        i32.shl
        i32.add
        local.set 17
        loop
          local.get 17
          local.get 14
          i32.const 1
          i32.ge_s
          local.get 14
          i32.const 5
          i32.lt_s
          i32.and
          local.get 15
          i32.const 1
          i32.ge_s
          i32.and
          local.get 15
          i32.const 9
          i32.lt_s
          i32.and
          if (result f32)
            local.get 16
            f32.load
            local.tee 18
          else
            f32.const 0
          end
          f32.store
          local.get 16
          i32.const 4
          i32.add
          local.set 16
          local.get 17
          i32.const 4
          i32.add
          local.set 17
          local.get 15
          i32.const 1
          i32.add
          local.tee 15
          i32.const 10
          i32.lt_s
          br_if 0
        end
        local.get 14
        i32.const 1
        i32.add
        local.tee 14
        i32.const 6
        i32.lt_s
        br_if 0
      end
      local.get 13
      i32.const 1
      i32.add
      local.tee 13
      i32.const 2
      i32.lt_s
      br_if 0
    end
    i32.const 0
    local.set 19
    loop
      v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000
      local.set 5
      v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000
      local.set 6
      v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000
      local.set 7
      v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000
      local.set 8
      v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000
      local.set 9
      v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000
      local.set 10
      v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000
      local.set 11
      v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000
      local.set 12
      i32.const 0
      local.set 20
      loop
        i32.const 0
        local.set 21
        loop
          i32.const 0
          local.set 22
          local.get 4
          local.get 19
          i32.const 10
          i32.mul
          local.get 20
          i32.const 10
          i32.mul
          i32.add
          local.get 21
          i32.add
          i32.const 2
          i32.shl
          i32.add
          local.set 17
          local.get 1
          local.get 20
          i32.const 3
          i32.mul
          local.get 21
          i32.add
          i32.const 2
          i32.shl
          i32.add
          local.set 16
          loop
            local.get 5
            local.get 17
            v128.load align=4
            local.tee 23
            local.get 16
            v128.load32_splat
            local.tee 24
            f32x4.mul
            f32x4.add
            local.set 5
            local.get 6
            local.get 17
            v128.load offset=16 align=4
            local.tee 25
            local.get 24
            f32x4.mul
            f32x4.add
            local.set 6
            local.get 7
            local.get 23
            local.get 16
            v128.load32_splat offset=72
            local.tee 26
            f32x4.mul
            f32x4.add
            local.set 7
            local.get 8
            local.get 25
            local.get 26
            f32x4.mul
            f32x4.add
            local.set 8
            local.get 9
            local.get 23
            local.get 16
            v128.load32_splat offset=144
            local.tee 27
            f32x4.mul
            f32x4.add
            local.set 9
            local.get 10
            local.get 25
            local.get 27
            f32x4.mul
            f32x4.add
            local.set 10
            local.get 11
            local.get 23
            local.get 16
            v128.load32_splat offset=216
            local.tee 28
            f32x4.mul
            f32x4.add
            local.set 11
            local.get 12
            local.get 25
            local.get 28
            f32x4.mul
            f32x4.add
            local.set 12
            local.get 17
            i32.const 240
            i32.add
            local.set 17
            local.get 16
            i32.const 36
            i32.add
            local.set 16
            local.get 22
            i32.const 1
            i32.add
            local.tee 22
            i32.const 2
            i32.lt_s
            br_if 0
          end
          local.get 21
          i32.const 1
          i32.add
          local.tee 21
          i32.const 3
          i32.lt_s
          br_if 0
        end
        local.get 20
        i32.const 1
        i32.add
        local.tee 20
        i32.const 3
        i32.lt_s
        br_if 0
      end
      local.get 2
      local.get 19
      i32.const 8
      i32.mul
      i32.const 2
      i32.shl
      i32.add
      local.get 5
      local.tee 25
      v128.store align=4
      local.get 2
      local.get 19
      i32.const 8
      i32.mul
      i32.const 2
      i32.shl
      i32.add
      local.get 6
      local.tee 25
      v128.store offset=16 align=4
      local.get 2
      local.get 19
      i32.const 8
      i32.mul
      i32.const 2
      i32.shl
      i32.add
      local.get 7
      local.tee 25
      v128.store offset=128 align=4
      local.get 2
      local.get 19
      i32.const 8
      i32.mul
      i32.const 2
      i32.shl
      i32.add
      local.get 8
      local.tee 25
      v128.store offset=144 align=4
      local.get 2
      local.get 19
      i32.const 8
      i32.mul
      i32.const 2
      i32.shl
      i32.add
      local.get 9
      local.tee 25
      v128.store offset=256 align=4
      local.get 2
      local.get 19
      i32.const 8
      i32.mul
      i32.const 2
      i32.shl
      i32.add
      local.get 10
      local.tee 25
      v128.store offset=272 align=4
      local.get 2
      local.get 19
      i32.const 8
      i32.mul
      i32.const 2
      i32.shl
      i32.add
      local.get 11
      local.tee 25
      v128.store offset=384 align=4
      local.get 2
      local.get 19
      i32.const 8
      i32.mul
      i32.const 2
      i32.shl
      i32.add
      local.get 12
      local.tee 25
      v128.store offset=400 align=4
      local.get 19
      i32.const 1
      i32.add
      local.tee 19
      i32.const 4
      i32.lt_s
      br_if 0
    end
  )
)
