(module
  (type $t0 (func (param i32 i32 i32) (result)))
  (import "env" "memory" (memory 1))
  (global $g0 i32 (i32.const 112))
  (export "kernel" (func 0))
  (export "scratch_bytes" (global 0))
  (func $f0 (type 0) (param i32 i32 i32)
    (local i32 i32 v128 v128 i32 i32 v128 v128 i32 f32 f32 i32 i32 i32 i32 v128 v128 f32 f32 f32 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128)
    local.get 2
    local.set 3
    local.get 2
    i32.const 16
    i32.add
    local.set 4
    local.get 2
    i32.const 80
    i32.add
    local.set 7
    local.get 2
    i32.const 96
    i32.add
    local.set 8
    i32.const 0
    local.set 11
    local.get 7
    f32.load
    local.set 12
    local.get 8
    f32.load
    local.set 13
    local.get 3
    local.set 14
    local.get 0
    local.set 15
    local.get 4
    local.set 16
    local.get 1
    local.set 17
    loop
      local.get 14
      f32.const -inf
      f32.store
      v128.const i32x4 0xff800000 0xff800000 0xff800000 0xff800000
      local.set 5
      v128.const i32x4 0xff800000 0xff800000 0xff800000 0xff800000
      local.set 6
      local.get 5
      local.get 15
      v128.load align=4
      local.tee 18
      f32x4.pmax
      local.set 5
      local.get 6
      local.get 15
      v128.load offset=16 align=4
      local.tee 19
      f32x4.pmax
      local.set 6
      local.get 5
      local.get 6
      f32x4.pmax
      local.set 5
      local.get 14
      local.get 14
      f32.load
      local.tee 22
      local.set 20
      local.get 5
      local.get 5
      local.get 5
      i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11
      f32x4.pmax
      local.tee 23
      local.get 23
      local.get 23
      i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
      f32x4.pmax
      f32x4.extract_lane 0
      local.set 21
      local.get 21
      local.get 20
      local.get 20
      local.get 21
      f32.lt
      select
      f32.store
      local.get 16
      local.get 15
      v128.load align=4
      local.tee 23
      local.get 14
      v128.load32_splat
      local.tee 24
      f32x4.sub
      local.set 25
      local.get 25
      v128.const i32x4 0xc2b00000 0xc2b00000 0xc2b00000 0xc2b00000
      f32x4.pmax
      local.set 26
      local.get 26
      v128.const i32x4 0x3fb8aa3b 0x3fb8aa3b 0x3fb8aa3b 0x3fb8aa3b
      f32x4.mul
      v128.const i32x4 0x4b40007f 0x4b40007f 0x4b40007f 0x4b40007f
      f32x4.add
      local.set 27
      local.get 27
      v128.const i32x4 0x4b40007f 0x4b40007f 0x4b40007f 0x4b40007f
      f32x4.sub
      local.set 28
      local.get 26
      local.get 28
      v128.const i32x4 0x3f318000 0x3f318000 0x3f318000 0x3f318000
      f32x4.mul
      f32x4.sub
      local.set 29
      local.get 29
      local.get 28
      v128.const i32x4 0xb95e8083 0xb95e8083 0xb95e8083 0xb95e8083
      f32x4.mul
      f32x4.sub
      local.set 30
      local.get 27
      i32.const 23
      i32x4.shl
      local.set 31
      local.get 30
      local.get 31
      f32x4.mul
      v128.const i32x4 0x3c07cfce 0x3c07cfce 0x3c07cfce 0x3c07cfce
      local.get 30
      f32x4.mul
      v128.const i32x4 0x3d2b9d0d 0x3d2b9d0d 0x3d2b9d0d 0x3d2b9d0d
      f32x4.add
      local.get 30
      f32x4.mul
      v128.const i32x4 0x3e2aad40 0x3e2aad40 0x3e2aad40 0x3e2aad40
      f32x4.add
      local.get 30
      f32x4.mul
      v128.const i32x4 0x3efffee3 0x3efffee3 0x3efffee3 0x3efffee3
      f32x4.add
      local.get 30
      f32x4.mul
      v128.const i32x4 0x3f7ffffb 0x3f7ffffb 0x3f7ffffb 0x3f7ffffb
      f32x4.add
      f32x4.mul
      local.get 31
      f32x4.add
      local.tee 32
      v128.store align=4
      local.get 16
      local.get 15
      v128.load offset=16 align=4
      local.tee 33
      local.get 24
      f32x4.sub
      local.set 34
      local.get 34
      v128.const i32x4 0xc2b00000 0xc2b00000 0xc2b00000 0xc2b00000
      f32x4.pmax
      local.set 35
      local.get 35
      v128.const i32x4 0x3fb8aa3b 0x3fb8aa3b 0x3fb8aa3b 0x3fb8aa3b
      f32x4.mul
      v128.const i32x4 0x4b40007f 0x4b40007f 0x4b40007f 0x4b40007f
      f32x4.add
      local.set 36
      local.get 36
      v128.const i32x4 0x4b40007f 0x4b40007f 0x4b40007f 0x4b40007f
      f32x4.sub
      local.set 37
      local.get 35
      local.get 37
      v128.const i32x4 0x3f318000 0x3f318000 0x3f318000 0x3f318000
      f32x4.mul
      f32x4.sub
      local.set 38
      local.get 38
      local.get 37
      v128.const i32x4 0xb95e8083 0xb95e8083 0xb95e8083 0xb95e8083
      f32x4.mul
      f32x4.sub
      local.set 39
      local.get 36
      i32.const 23
      i32x4.shl
      local.set 40
      local.get 39
      local.get 40
      f32x4.mul
      v128.const i32x4 0x3c07cfce 0x3c07cfce 0x3c07cfce 0x3c07cfce
      local.get 39
      f32x4.mul
      v128.const i32x4 0x3d2b9d0d 0x3d2b9d0d 0x3d2b9d0d 0x3d2b9d0d
      f32x4.add
      local.get 39
      f32x4.mul
      v128.const i32x4 0x3e2aad40 0x3e2aad40 0x3e2aad40 0x3e2aad40
      f32x4.add
      local.get 39
      f32x4.mul
      v128.const i32x4 0x3efffee3 0x3efffee3 0x3efffee3 0x3efffee3
      f32x4.add
      local.get 39
      f32x4.mul
      v128.const i32x4 0x3f7ffffb 0x3f7ffffb 0x3f7ffffb 0x3f7ffffb
      f32x4.add
      f32x4.mul
      local.get 40
      f32x4.add
      local.tee 32
      v128.store offset=16 align=4
      f32.const 0
      local.set 12
      v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000
      local.set 9
      v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000
      local.set 10
      local.get 9
      local.get 16
      v128.load align=4
      local.tee 41
      f32x4.add
      local.set 9
      local.get 10
      local.get 16
      v128.load offset=16 align=4
      local.tee 42
      f32x4.add
      local.set 10
      local.get 9
      local.get 10
      f32x4.add
      local.set 9
      local.get 12
      local.get 9
      local.get 9
      local.get 9
      i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11
      f32x4.add
      local.tee 43
      local.get 43
      local.get 43
      i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
      f32x4.add
      f32x4.extract_lane 0
      f32.add
      local.set 12
      f32.const 1
      local.get 12
      f32.div
      local.set 13
      local.get 17
      local.get 16
      v128.load align=4
      local.tee 43
      local.get 13
      f32x4.splat
      local.tee 44
      f32x4.mul
      local.tee 45
      v128.store align=4
      local.get 17
      local.get 16
      v128.load offset=16 align=4
      local.tee 46
      local.get 44
      f32x4.mul
      local.tee 45
      v128.store offset=16 align=4
      local.get 14
      i32.const 4
      i32.add
      local.set 14
      local.get 15
      i32.const 32
      i32.add
      local.set 15
      local.get 16
      i32.const 32
      i32.add
      local.set 16
      local.get 17
      i32.const 32
      i32.add
      local.set 17
      local.get 11
      i32.const 1
      i32.add
      local.tee 11
      i32.const 2
      i32.lt_s
      br_if 0
    end
    local.get 7
    local.get 12
    f32.store
    local.get 8
    local.get 13
    f32.store
  )
)
