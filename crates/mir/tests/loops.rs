//! Loop optimizations on the default pipeline: array views (`nyash_mir::array_views`) and
//! field stores sunk out of loops that cannot observe memory (`passes/forward.rs`), unboxed
//! loop parameters (`passes/unbox_params.rs`) and tiny branches as selects (`passes/select.rs`).

mod common;

use nyash_mir::{array_views, InstKind, Module, Type};

fn func<'m>(m: &'m Module, name: &str) -> &'m nyash_mir::Function {
    m.funcs.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no {name}"))
}

/// The blocks of the loops of `name` that hold a `field_store`.
fn stores_in_loops(m: &Module, name: &str) -> usize {
    let f = func(m, name);
    let loops = f.natural_loops();
    (0..f.blocks.len())
        .filter(|&b| loops.iter().any(|l| l.body[b]))
        .flat_map(|b| &f.blocks[b].insts)
        .filter(|i| matches!(i.kind, InstKind::FieldStore { .. }))
        .count()
}

const SUM: &str = r#"
static box Main {
    sum(xs) {
        local s = 0.0
        local i = 0
        loop(i < xs.length()) {
            s = s + xs.get(i)
            i = i + 1
        }
        return s
    }
    main() {
        local xs = new ArrayBox()
        xs.push(1.5)
        xs.push(2.5)
        print(sum(xs))
    }
}
"#;

#[test]
fn a_read_only_loop_over_a_float_array_gets_a_view() {
    let m = common::compile_keeping_functions(SUM);
    let f = func(&m, "Main.sum");
    let views = array_views(&m, f);
    // Loop versioning (`passes::bounds_version`) made a copy without bounds checks: the
    // preheaders of both copies take the view.
    assert_eq!(views.take.len(), 2, "one preheader per copy takes the view: {views:?}");
    assert!(!views.uses.is_empty(), "the get and length use it: {views:?}");
}

#[test]
fn a_push_in_the_loop_means_no_view() {
    let src = SUM.replace(
        "s = s + xs.get(i)",
        "s = s + xs.get(i)\n            xs.push(0.5)\n            i = i + 1",
    );
    let m = common::compile_keeping_functions(&src);
    let f = func(&m, "Main.sum");
    assert!(array_views(&m, f).take.is_empty());
}

const COUNTER: &str = r#"
box Counter {
    n
    birth() { me.n = 0 }
    add(x) { me.n = me.n + x }
}
static box Main {
    main() {
        local c = new Counter()
        local i = 0
        loop(i < 10) {
            c.add(i)
            if c.n > 20 {
                break
            }
            i = i + 1
        }
        print(c.n)
    }
}
"#;

#[test]
fn stores_leave_a_loop_without_calls() {
    let m = common::compile_optimized(COUNTER);
    assert_eq!(stores_in_loops(&m, "Main.main"), 0, "{}", common::compile_text(COUNTER));
}

#[test]
fn a_call_in_the_loop_keeps_the_stores() {
    let src = COUNTER.replace("c.add(i)", "c.add(i)\n            print(i)");
    let m = common::compile_optimized(&src);
    assert!(stores_in_loops(&m, "Main.main") > 0);
}

const FILL: &str = r#"
static box Main {
    main() {
        local flags = new ArrayBox()
        local i = 0
        loop(i < 100) {
            flags.push(true)
            if flags.length() > 50 {
                flags.set(0, false)
            }
            i = i + 1
        }
        print(flags.get(0))
    }
}
"#;

#[test]
fn a_loop_that_only_pushes_onto_one_typed_array_gets_a_growing_view() {
    let m = common::compile_optimized(FILL);
    let f = func(&m, "Main.main");
    let views = array_views(&m, f);
    assert_eq!(views.take_growing.len(), 1, "one preheader sets the view up: {views:?}");
    // The push and the length (one block) and the set (another) use it.
    assert_eq!(views.growing_uses.len(), 2, "{views:?}");
    assert!(views.take.is_empty(), "the loop changes the length: no fixed view: {views:?}");
}

#[test]
fn pushes_onto_two_arrays_or_of_another_type_mean_no_growing_view() {
    let two = FILL.replace(
        "flags.push(true)",
        "flags.push(true)\n            local other = new ArrayBox()\n            other.push(1)",
    );
    let m = common::compile_optimized(&two);
    assert!(array_views(&m, func(&m, "Main.main")).take_growing.is_empty());
    let mixed = FILL.replace("flags.push(true)", "flags.push(true)\n            flags.push(\"x\")");
    let m = common::compile_optimized(&mixed);
    assert!(array_views(&m, func(&m, "Main.main")).take_growing.is_empty());
}

const SUM_COUNTER: &str = r#"
box Counter {
    count
    sum
    birth() {
        me.count = 0
        me.sum = 0
    }
    add(x) {
        me.count = me.count + 1
        me.sum = me.sum + x
        if me.sum > 1000 {
            me.sum = me.sum - 1000
        }
    }
}
static box Main {
    main() {
        local c = new Counter()
        local i = 0
        loop(i < 100) {
            c.add(i)
            i = i + 1
        }
        print(c.count + " " + c.sum)
    }
}
"#;

/// Boxed (`dyn`) block parameters of `name`, and its `fromdyn`/`select` instructions.
fn shape(m: &Module, name: &str) -> (usize, usize, usize) {
    let f = func(m, name);
    let dyn_params = f.blocks.iter().flat_map(|b| &b.params).filter(|&&p| f.ty(p) == Type::Dyn);
    let insts = || f.blocks.iter().flat_map(|b| &b.insts);
    (
        dyn_params.count(),
        insts().filter(|i| matches!(i.kind, InstKind::FromDyn { .. })).count(),
        insts().filter(|i| matches!(i.kind, InstKind::Select { .. })).count(),
    )
}

#[test]
fn fields_carried_around_a_loop_are_unboxed_and_the_tiny_if_is_a_select() {
    let m = common::compile_optimized(SUM_COUNTER);
    let (dyn_params, _, selects) = shape(&m, "Main.main");
    assert_eq!(dyn_params, 0, "{}", nyash_mir::print::print_module(&m));
    assert_eq!(selects, 1, "{}", nyash_mir::print::print_module(&m));
}

#[test]
fn a_carried_value_that_changes_type_stays_boxed() {
    let src = r#"
static box Main {
    main() {
        local x = 0
        local i = 0
        loop(i < 5) {
            if i == 3 { x = x + 0.5 } else { x = x + 1 }
            i = i + 1
        }
        print(x)
    }
}
"#;
    let m = common::compile_optimized(src);
    let f = func(&m, "Main.main");
    let header = &f.blocks[f.natural_loops()[0].header];
    assert!(
        header.params.iter().any(|&p| f.ty(p) == Type::Dyn),
        "{}",
        nyash_mir::print::print_module(&m)
    );
}
