//! Snapshot tests: the MIR text of small programs (legal MIR after the whole pipeline, and
//! generic MIR straight out of lowering). On a mismatch the actual text is printed in full so
//! it can be reviewed and pasted back.

mod common;

/// `src` and `expected` start with a newline for readability; it is not part of either.
fn check(generic: bool, src: &str, expected: &str) {
    let src = src.strip_prefix('\n').unwrap_or(src);
    let expected = expected.strip_prefix('\n').unwrap_or(expected);
    let actual = if generic { common::lower_text(src) } else { common::compile_text(src) };
    if actual != expected {
        panic!("MIR snapshot mismatch; actual:\n{actual}\n--- expected:\n{expected}");
    }
}

#[test]
fn snapshot_fib() {
    check(
        false,
        r#"
static box Math {
    fib(n) {
        if n < 2 { return n }
        return fib(n - 1) + me.fib(n - 2)
    }
}
static box Main {
    main() {
        return Math.fib(30)
    }
}
"#,
        r#"
fn Math.fib(v0: int) -> int {
bb0(v0: int):
  v1: int = const 2                     ; 3:16
  v2: bool = icmp lt v0, v1             ; 3:12
  br v2, bb2(), bb1()
bb1():
  v4: int = const 1                     ; 4:24
  v5: int = isub v0, v4                 ; 4:20
  v6: int = call Math.fib(v5)           ; 4:16
  v7: int = const 2                     ; 4:40
  v8: int = isub v0, v7                 ; 4:36
  v9: int = call Math.fib(v8)           ; 4:29
  v10: int = iadd v6, v9                ; 4:16
  ret v10
bb2():
  ret v0
}

fn Main.main() -> int {
bb0():
  v0: int = const 30                    ; 9:25
  v1: int = call Math.fib(v0)           ; 9:16
  ret v1
}

; entry
fn __nyash_entry(v0: int, v1: int) -> int {
bb0(v0: int, v1: int):
  init_runtime v0, v1                   ; 8:5
  v2: int = call Main.main()            ; 8:5
  v4: dyn = todyn v2                    ; 8:5
  v3: int = rtcall nyrt_finish(v4)      ; 8:5
  ret v3
}
"#,
    );
}

#[test]
fn snapshot_loop() {
    check(
        false,
        r#"
static box Main {
    main(args) {
        local i = 0
        local s = "n="
        loop {
            i += 1
            if i % 2 == 0 { continue }
            if i > 5 { break }
            s = s + i
        }
        print(s.length())
        return 0
    }
}
"#,
        r#"
fn Main.main(v0: array) -> int {
bb0(v0: array):
  v1: int = const 0                     ; 3:19
  v2: str = const "n="                  ; 4:19
  jump bb1(v1, v2)
bb1(v3: int, v4: str):
  v5: int = const 1                     ; 6:18
  v6: int = iadd v3, v5                 ; 6:13
  v7: int = const 2                     ; 7:20
  v8: int = irem v6, v7                 ; 7:16
  v9: int = const 0                     ; 7:25
  v10: bool = icmp eq v8, v9            ; 7:16
  br v10, bb1(v6, v4), bb2()
bb2():
  v12: int = const 5                    ; 8:20
  v13: bool = icmp gt v6, v12           ; 8:16
  br v13, bb4(), bb3()
bb3():
  v18: dyn = todyn v6                   ; 9:17
  v15: str = rtcall nyrt_add_consume(v4, v18) ; 9:17
  jump bb1(v6, v15)
bb4():
  v19: dyn = dyncall v4.length()        ; 11:15
  v16: int = fromdyn.int v19            ; 11:15
  v20: dyn = todyn v16                  ; 11:9
  rtcall nyrt_print(v20)                ; 11:9
  v17: int = const 0                    ; 12:16
  rtcall nyrt_release(v4)               ; 12:9
  ret v17
}

; entry
fn __nyash_entry(v0: int, v1: int) -> int {
bb0(v0: int, v1: int):
  init_runtime v0, v1                   ; 2:5
  v2: array = rtcall nyrt_args()        ; 2:5
  v3: int = call Main.main(v2)          ; 2:5
  rtcall nyrt_release(v2)               ; 2:5
  v5: dyn = todyn v3                    ; 2:5
  v4: int = rtcall nyrt_finish(v5)      ; 2:5
  ret v4
}
"#,
    );
}

#[test]
fn snapshot_script() {
    check(
        false,
        r#"
function half(x) {
    return x / 2
}
local a = 7
b = half(a) > 3 and not false
print(b ? "big" : -1.5)
"#,
        r#"
fn fn.half(v0: int) -> int {
bb0(v0: int):
  v1: int = const 2                     ; 2:16
  v2: int = idiv v0, v1                 ; 2:12
  ret v2
}

fn Main.main() -> void {
bb0():
  v0: int = const 7                     ; 4:11
  v1: int = call fn.half(v0)            ; 5:5
  v2: int = const 3                     ; 5:15
  v3: bool = icmp gt v1, v2             ; 5:5
  br v3, bb2(), bb1()
bb1():
  v13: float = const -1.5               ; 6:19
  v15: dyn = todyn v13                  ; 6:19
  jump bb3(v15)
bb2():
  v12: str = const "big"                ; 6:11
  jump bb3(v12)
bb3(v11: dyn):
  rtcall nyrt_print(v11)                ; 6:1
  rtcall nyrt_release(v11)              ; 6:1
  v14: void = const null                ; 6:24
  ret v14
}

; entry
fn __nyash_entry(v0: int, v1: int) -> int {
bb0(v0: int, v1: int):
  init_runtime v0, v1                   ; 1:1
  v2: void = call Main.main()           ; 1:1
  v3: int = rtcall nyrt_finish(v2)      ; 1:1
  ret v3
}
"#,
    );
}

#[test]
fn snapshot_generic() {
    check(
        true,
        r#"
static box Main {
    main() {
        local x = 1
        if x == 1 { x = "one" } else { print(x) }
        return x
    }
}
"#,
        r#"
fn Main.main() -> dyn {
bb0():
  v0: int = const 1                     ; 3:19
  v1: int = const 1                     ; 4:17
  v2: bool = binary == v0, v1           ; 4:12
  v3: bool = truthy v2                  ; 4:12
  br v3, bb2(), bb3()
bb1(v5: dyn):
  retain v5                             ; 5:9
  release v5                            ; 5:9
  ret v5
bb2():
  v4: str = const "one"                 ; 4:25
  jump bb1(v4)
bb3():
  print v0                              ; 4:40
  jump bb1(v0)
}

; entry
fn __nyash_entry(v0: int, v1: int) -> int {
bb0(v0: int, v1: int):
  init_runtime v0, v1                   ; 2:5
  v2: dyn = call Main.main()            ; 2:5
  v3: int = rtcall nyrt_finish(v2)      ; 2:5
  release v2                            ; 2:5
  ret v3
}
"#,
    );
}
