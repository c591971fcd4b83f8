;; WebSocket masking kernel (RFC 6455 section 5.3) with 128-bit SIMD.
;;
;; Source of src/protocol/mask-wasm.ts: `npm run build:wasm` assembles this file with wabt (simd feature)
;; and embeds the bytes; test/protocol/mask-wasm.test.ts checks that the embedded bytes are this file
;; assembled now. The JS side (src/protocol/mask.ts) copies a block of the payload into this module's
;; memory, calls `xor`, and copies the block back; blocks are small enough to stay in the CPU cache.

(module
  (memory (export "memory") 1)

  ;; XORs memory[0..length) with `key`, a 4-byte key packed little-endian (key byte 0 in the low byte)
  ;; that applies from address 0. Address 0 is 16-byte aligned, so every v128 access below is aligned.
  (func (export "xor") (param $length i32) (param $key i32)
    (local $i i32)
    (local $end i32)
    (local $lanes v128)
    (local.set $lanes (i32x4.splat (local.get $key)))
    ;; 64 bytes per iteration: four independent 16-byte lanes.
    (local.set $end (i32.and (local.get $length) (i32.const -64)))
    (block $done64
      (loop $loop64
        (br_if $done64 (i32.ge_u (local.get $i) (local.get $end)))
        (v128.store offset=0 (local.get $i) (v128.xor (v128.load offset=0 (local.get $i)) (local.get $lanes)))
        (v128.store offset=16 (local.get $i) (v128.xor (v128.load offset=16 (local.get $i)) (local.get $lanes)))
        (v128.store offset=32 (local.get $i) (v128.xor (v128.load offset=32 (local.get $i)) (local.get $lanes)))
        (v128.store offset=48 (local.get $i) (v128.xor (v128.load offset=48 (local.get $i)) (local.get $lanes)))
        (local.set $i (i32.add (local.get $i) (i32.const 64)))
        (br $loop64)))
    ;; The rest, 16 bytes at a time: the last lane may run past `length` into scratch bytes the JS side
    ;; never copies back, so no byte-wise tail is needed here.
    (block $done16
      (loop $loop16
        (br_if $done16 (i32.ge_u (local.get $i) (local.get $length)))
        (v128.store (local.get $i) (v128.xor (v128.load (local.get $i)) (local.get $lanes)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $loop16))))
)
