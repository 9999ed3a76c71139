//! MIR data types: a module of functions made of basic blocks with block parameters (SSA).
//!
//! Two forms share these types. *Generic* MIR, produced by lowering, uses the high-level
//! instructions (`Binary`, `Unary`, `Truthy`, `Print`, `MethodCall`) on values whose types
//! may still be `Dyn`. The `legalize` pass rewrites it into *legal* MIR, where every
//! instruction says exactly what machine operation or runtime call it is and every operand has
//! the representation the instruction needs. Backends only ever see legal MIR; the verifier
//! checks each form.

use rustc_hash::FxHashMap;
use std::fmt;

macro_rules! entity {
    ($(#[$m:meta])* $name:ident, $prefix:literal) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub u32);
        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
            pub fn new(i: usize) -> Self {
                $name(i as u32)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

entity!(/// A function in `Module::funcs`.
    FuncId, "fn");
entity!(/// A block in `Function::blocks`; `BlockId(0)` is the entry block.
    BlockId, "bb");
entity!(/// An SSA value in `Function::values`.
    ValueId, "v");
entity!(/// A string literal in `Module::strings`.
    StrId, "str");
entity!(/// A source location in `Module::sites`, used by runtime error messages.
    SiteId, "site");
entity!(/// A method name in `Module::symbols`, used for dynamic dispatch.
    SymId, "sym");
entity!(/// A user box (class or static box) in `Module::boxes`.
    BoxId, "box");
entity!(/// A static-box field (a per-program global) in `Module::globals`.
    GlobalId, "global");

/// The static type lattice. `Dyn` is "unknown at compile time".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Int,
    Float,
    Bool,
    /// The `null` value.
    Void,
    Str,
    /// An ArrayBox from one of these allocation sites (see [`ArraySites`]).
    Array(ArraySites),
    /// A MapBox.
    Map,
    /// An instance of this user box or of a box derived from it.
    Instance(BoxId),
    /// An Int or `null` (the nullable types are Boxed; the tag says which). Operations that
    /// are a runtime error on `null` (arithmetic, method calls, field access) give the result
    /// type of the non-null type.
    IntOrNull,
    /// A Float or `null`.
    FloatOrNull,
    /// A Bool or `null`.
    BoolOrNull,
    /// A String or `null`.
    StrOrNull,
    /// `Instance(b)` or `null`.
    InstanceOrNull(BoxId),
    Dyn,
}

/// The allocation sites an ArrayBox value may come from, as a bit set: `passes::infer` gives
/// each `new ArrayBox()` of the program a bit (the 63rd and later sites share bit 62) and
/// tracks the element type per site. [`ArraySites::UNTRACKED`] stands for arrays whose
/// elements are not tracked (made by the runtime, or reachable from code of unknown type).
/// Joins union the sets; the sites do not change how an array is represented.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArraySites(pub u64);

impl ArraySites {
    pub const UNTRACKED: ArraySites = ArraySites(1 << 63);
    /// Bits given to individual allocation sites; later sites share the last one.
    pub const SITE_BITS: usize = 63;

    /// The bit of the `i`-th allocation site.
    pub fn site(i: usize) -> ArraySites {
        ArraySites(1 << i.min(Self::SITE_BITS - 1))
    }
    pub fn union(self, other: ArraySites) -> ArraySites {
        ArraySites(self.0 | other.0)
    }
    /// The site indices (bit numbers) in the set.
    pub fn bits(self) -> impl Iterator<Item = usize> {
        // Lowest bit first, skipping the zeros (most sets have one or two bits of 64).
        let mut rest = self.0;
        std::iter::from_fn(move || {
            if rest == 0 {
                return None;
            }
            let i = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            Some(i)
        })
    }
}

/// How a value of a type is held by native code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Repr {
    /// One i64.
    I64,
    /// One f64.
    F64,
    /// A boolean (backends choose i1/i8; it crosses the runtime ABI as an i64 0/1).
    Bool,
    /// Two i64 words `(tag, payload)`: see `nyash_runtime` for tags. Void, Str and Dyn.
    Boxed,
}

impl Type {
    pub fn repr(self) -> Repr {
        match self {
            Type::Int => Repr::I64,
            Type::Float => Repr::F64,
            Type::Bool => Repr::Bool,
            Type::Void
            | Type::Str
            | Type::Array(_)
            | Type::Map
            | Type::Instance(_)
            | Type::IntOrNull
            | Type::FloatOrNull
            | Type::BoolOrNull
            | Type::StrOrNull
            | Type::InstanceOrNull(_)
            | Type::Dyn => Repr::Boxed,
        }
    }
    /// Least upper bound: equal types stay; `T`, `null` and `T-or-null` join to `T-or-null`
    /// where that type exists; anything else is `Dyn`.
    pub fn join(self, other: Type) -> Type {
        if self == other {
            self
        } else if let (Type::Array(a), Type::Array(b)) = (self, other) {
            Type::Array(a.union(b))
        } else if self == Type::Void {
            other.or_null()
        } else if other == Type::Void || self.non_null() == other.non_null() {
            self.or_null()
        } else {
            Type::Dyn
        }
    }
    /// The type without `null`: `T-or-null` → `T`; every other type is itself.
    pub fn non_null(self) -> Type {
        match self {
            Type::IntOrNull => Type::Int,
            Type::FloatOrNull => Type::Float,
            Type::BoolOrNull => Type::Bool,
            Type::StrOrNull => Type::Str,
            Type::InstanceOrNull(b) => Type::Instance(b),
            t => t,
        }
    }
    /// The type with `null` added (`Dyn` when there is no such type).
    pub fn or_null(self) -> Type {
        match self.non_null() {
            Type::Int => Type::IntOrNull,
            Type::Float => Type::FloatOrNull,
            Type::Bool => Type::BoolOrNull,
            Type::Str => Type::StrOrNull,
            Type::Instance(b) => Type::InstanceOrNull(b),
            Type::Void => Type::Void,
            _ => Type::Dyn,
        }
    }
    /// True for the `T-or-null` types.
    pub fn is_nullable(self) -> bool {
        self.non_null() != self
    }
    pub fn name(self) -> &'static str {
        match self {
            Type::Int => "int",
            Type::Float => "float",
            Type::Bool => "bool",
            Type::Void => "void",
            Type::Str => "str",
            Type::Array(_) => "array",
            Type::Map => "map",
            Type::Instance(_) => "instance",
            Type::IntOrNull => "int?",
            Type::FloatOrNull => "float?",
            Type::BoolOrNull => "bool?",
            Type::StrOrNull => "str?",
            Type::InstanceOrNull(_) => "instance?",
            Type::Dyn => "dyn",
        }
    }
    /// True for types whose values are always a reference-counted heap object (never `null`
    /// or an unboxed tag): the tag is `tag::STR` or above, so reference counting needs no
    /// tag test.
    pub fn is_heap(self) -> bool {
        matches!(self, Type::Str | Type::Array(_) | Type::Map | Type::Instance(_))
    }
    /// The tag every Boxed value of this type carries, when the type fixes it.
    pub fn fixed_tag(self) -> Option<i64> {
        Some(match self {
            Type::Int => tag::INT,
            Type::Float => tag::FLOAT,
            Type::Bool => tag::BOOL,
            Type::Void => tag::NULL,
            Type::Str => tag::STR,
            Type::Array(_) => tag::ARRAY,
            Type::Map => tag::MAP,
            Type::Instance(_) => tag::INSTANCE,
            _ => return None,
        })
    }
    /// True for types whose values may point to a reference-counted heap object.
    pub fn is_counted(self) -> bool {
        !matches!(
            self,
            Type::Int
                | Type::Float
                | Type::Bool
                | Type::Void
                | Type::IntOrNull
                | Type::FloatOrNull
                | Type::BoolOrNull
        )
    }
}

/// Runtime value tags (the first word of a `Repr::Boxed` value). Must match `nyash_runtime`.
pub mod tag {
    pub const NULL: i64 = 0;
    pub const INT: i64 = 1;
    pub const FLOAT: i64 = 2;
    pub const BOOL: i64 = 3;
    pub const STR: i64 = 4;
    pub const ARRAY: i64 = 5;
    pub const MAP: i64 = 6;
    pub const INSTANCE: i64 = 7;
    pub const CONSOLE: i64 = 8;
    pub const MATH: i64 = 9;
}

/// Heap layout of user box instances, shared by the runtime and both native backends.
/// The Boxed payload of an instance points at the object: word 0 is the reference count, word 1
/// runtime type information, then one `(tag, payload)` slot per declared field.
pub mod layout {
    /// Byte offset of field slot 0 from the object pointer.
    pub const INSTANCE_FIELDS_OFFSET: i64 = 16;
    /// Bytes per field slot (tag word then payload word).
    pub const SLOT_SIZE: i64 = 16;
    /// Byte offset of the i64 reference count in EVERY heap object (the payload of tags
    /// `tag::STR` and above points at it). A live object's count is >= 1; native backends may
    /// increment a count >= 1 and decrement a count > 1 in place, and must call
    /// `nyrt_retain`/`nyrt_release` otherwise (0 → 1 is never done inline: under
    /// `NYASH_RC_CHECK=1` a freed object keeps count 0 and the runtime reports its use).
    pub const REFCOUNT_OFFSET: i64 = 0;
    /// ArrayBox objects (`tag::ARRAY`): after the 16-byte header, `len: i64`, `cap: i64`,
    /// `data`, a pointer to `cap` consecutive elements of which the first `len` are live, and
    /// `kind: i64`, how each element is stored: `ARRAY_KIND_VALUES` as a `(tag, payload)` pair
    /// (the array owns one reference to each), `ARRAY_KIND_INT` as an i64, `ARRAY_KIND_FLOAT`
    /// as an f64, `ARRAY_KIND_BOOL` as one byte 0/1. A typed kind equals the tag of all its
    /// elements. The runtime may change a typed array to kind values at any call (a store of
    /// another type), never the other way while code could rely on it, so backends check the
    /// kind before each inline access. Backends may read `len` and elements and overwrite an
    /// element in range with a value that fits the kind (with the reference counting of
    /// `set`); anything that changes `len`, `cap`, `data` or `kind` beyond `len < cap`
    /// appends of fitting values is the runtime's job.
    pub const ARRAY_LEN_OFFSET: i64 = 16;
    pub const ARRAY_CAP_OFFSET: i64 = 24;
    pub const ARRAY_DATA_OFFSET: i64 = 32;
    pub const ARRAY_KIND_OFFSET: i64 = 40;
    pub const ARRAY_KIND_VALUES: i64 = 0;
    pub const ARRAY_KIND_INT: i64 = super::tag::INT;
    pub const ARRAY_KIND_FLOAT: i64 = super::tag::FLOAT;
    pub const ARRAY_KIND_BOOL: i64 = super::tag::BOOL;

    /// The compact kind for arrays whose elements are all of type `elem`, if there is one,
    /// with its element size in bytes.
    pub fn array_kind(elem: super::Type) -> Option<(i64, i64)> {
        match elem {
            super::Type::Int => Some((ARRAY_KIND_INT, 8)),
            super::Type::Float => Some((ARRAY_KIND_FLOAT, 8)),
            super::Type::Bool => Some((ARRAY_KIND_BOOL, 1)),
            _ => None,
        }
    }
    /// Byte offset of the 8-byte type word of every heap object: its low byte is the type id
    /// (then a flags byte, a u16 field count and a u32 box id, all 0 for strings).
    pub const TYPE_WORD_OFFSET: i64 = 8;
    /// The type word of a String object (type id 1, nothing else set).
    pub const STR_TYPE_WORD: i64 = 1;
    /// String objects (`tag::STR`): after the header, `char_len` (Unicode scalar values),
    /// `byte_len` and `cap` (bytes allocated for text), all u64, then the UTF-8 bytes.
    pub const STR_CHAR_LEN_OFFSET: i64 = 16;
    pub const STR_BYTE_LEN_OFFSET: i64 = 24;
    pub const STR_CAP_OFFSET: i64 = 32;
    pub const STR_BYTES_OFFSET: i64 = 40;
    /// Alignment of every heap object.
    pub const OBJECT_ALIGN: u64 = 8;
    /// The count of an immortal object (a string literal, see `Const::Str`). No program can
    /// take 2^62 references away or add 2^62 more, so the count never reaches 1 or 0 (the
    /// object is never freed, and never appended to in place, which needs count 1) and never
    /// overflows; the inline and runtime retain/release paths need no special case.
    pub const IMMORTAL_REFCOUNT: i64 = 1 << 62;

    /// The bytes of an immortal String object holding `text`, exactly as the runtime lays out
    /// a string (x86-64, little-endian): native backends emit this as writable data aligned
    /// to `OBJECT_ALIGN` (the count is updated in place) and use its address as the payload.
    pub fn immortal_str_object(text: &str) -> Vec<u8> {
        let words = [
            IMMORTAL_REFCOUNT,
            STR_TYPE_WORD,
            text.chars().count() as i64,
            text.len() as i64,
            text.len() as i64,
        ];
        let mut out = Vec::with_capacity(STR_BYTES_OFFSET as usize + text.len());
        for w in words {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(text.as_bytes());
        out
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    /// The source file name, as shown in runtime error locations.
    pub file_name: String,
    pub funcs: Vec<Function>,
    /// The synthetic entry `__nyash_entry(argc: int, argv: int) -> int` (see `lower::entry`).
    pub entry: FuncId,
    pub strings: Vec<String>,
    pub sites: Vec<Site>,
    pub symbols: Vec<String>,
    /// User boxes (instance boxes and static boxes), indexed by `BoxId`.
    pub boxes: Vec<BoxDef>,
    /// Static-box fields, named `Box.field`, indexed by `GlobalId`; each starts as null.
    pub globals: Vec<String>,
    /// Element type of the arrays of each allocation-site bit (`ArraySites`), as inference
    /// proved it; empty (or a missing bit) means `Dyn`. Backends use it to skip reference
    /// counting of elements that can never be heap objects.
    pub array_elems: Vec<Type>,
}

/// A user box as the runtime and method dispatch see it.
#[derive(Clone, Debug, PartialEq)]
pub struct BoxDef {
    pub name: String,
    pub is_static: bool,
    pub parent: Option<BoxId>,
    /// Every field slot, inherited ones first; slot `i` is at
    /// `layout::INSTANCE_FIELDS_OFFSET + layout::SLOT_SIZE * i`.
    pub fields: Vec<String>,
    /// The type of every value a field slot can hold, per slot, as `passes::infer` proved it
    /// (a slot is typed only when every store into it is visible and no read can see the
    /// initial `null`); empty until inference runs, which means `Dyn` for every slot. Slots
    /// still hold Boxed pairs: the type only lets reads skip the tag.
    pub field_types: Vec<Type>,
    /// Methods by (name, arity), own and inherited, already resolved through the parent chain.
    pub methods: Vec<(String, usize, FuncId)>,
    /// Constructors (`birth` and its aliases) by arity.
    pub constructors: Vec<(usize, FuncId)>,
    /// Synthesized `fini` callback thunk registered with the runtime, if the box has `fini/0`.
    pub fini_thunk: Option<FuncId>,
    /// Synthesized `toString` callback thunk, if the box has `toString/0`.
    pub to_string_thunk: Option<FuncId>,
}
/// A source location for runtime errors: `  at <file>:<line>:<col> in <func>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Site {
    pub line: u32,
    pub col: u32,
    /// Source-level function name, e.g. `Main.main`.
    pub func: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    /// Symbol-safe unique name, e.g. `Main.main`, `Math.fib`, `__nyash_entry`.
    pub name: String,
    /// The parameters; these are the entry block's parameters.
    pub params: Vec<ValueId>,
    pub ret: Type,
    pub blocks: Vec<Block>,
    /// Type of every value, indexed by `ValueId`.
    pub values: Vec<ValueData>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ValueData {
    pub ty: Type,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub params: Vec<ValueId>,
    pub insts: Vec<Inst>,
    pub term: Terminator,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Inst {
    /// The value this instruction defines, if any.
    pub result: Option<ValueId>,
    pub kind: InstKind,
    /// Where it came from; used for runtime errors and IR annotations.
    pub site: SiteId,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Const {
    Int(i64),
    Float(f64),
    Bool(bool),
    /// `null`: a Boxed `(tag::NULL, 0)`.
    Null,
    /// The literal's String (Boxed): an immortal object made once per program (static data
    /// `layout::immortal_str_object` in native code, one object per literal per run in the VM).
    /// Like every Boxed result it is owned (+1), and releasing it is as usual; the immortal
    /// count makes that harmless and keeps `nyrt_add_consume` from appending to it.
    Str(StrId),
}

/// Integer operations; all wrap on overflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntOp {
    Add,
    Sub,
    Mul,
    /// Truncating division. Divisor 0: call `nyrt_error_div_zero(site)` (never returns).
    /// `i64::MIN / -1` is `i64::MIN` (backends must not trap).
    Div,
    /// Remainder with the sign of the dividend. Divisor 0 as for `Div`; `x % -1` is 0.
    Rem,
}

/// Float operations (IEEE). `Div` and `Rem` with a zero divisor (±0.0) call
/// `nyrt_error_div_zero(site)`; `Rem` is C `fmod` (Rust `%`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FloatOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// One-operand Float functions that match the runtime's Float methods bit for bit
/// (`sqrt`, `abs`, `floor`, `ceil`; Rust's `round` rounds half away from zero, which no
/// backend has as one instruction, so it stays a method call).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FloatFn {
    Sqrt,
    Abs,
    Floor,
    Ceil,
}

impl FloatFn {
    /// The Float method this is, by name (arity 0).
    pub fn from_method(name: &str) -> Option<FloatFn> {
        Some(match name {
            "sqrt" => FloatFn::Sqrt,
            "abs" => FloatFn::Abs,
            "floor" => FloatFn::Floor,
            "ceil" => FloatFn::Ceil,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            FloatFn::Sqrt => "sqrt",
            FloatFn::Abs => "abs",
            FloatFn::Floor => "floor",
            FloatFn::Ceil => "ceil",
        }
    }
    /// The function itself (the VM's implementation and the reference for the others).
    pub fn apply(self, x: f64) -> f64 {
        match self {
            FloatFn::Sqrt => x.sqrt(),
            FloatFn::Abs => x.abs(),
            FloatFn::Floor => x.floor(),
            FloatFn::Ceil => x.ceil(),
        }
    }
}

/// Comparisons. For floats all are ordered except `Ne`, which is true when unordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// `x op y` with Rust's operators: for `f64` those are ordered except `!=`, which is true
    /// when unordered, exactly the MIR contract for `fcmp`; for `i64`, signed comparison.
    pub fn holds<T: PartialOrd>(self, x: T, y: T) -> bool {
        match self {
            CmpOp::Eq => x == y,
            CmpOp::Ne => x != y,
            CmpOp::Lt => x < y,
            CmpOp::Le => x <= y,
            CmpOp::Gt => x > y,
            CmpOp::Ge => x >= y,
        }
    }

    /// The comparison with its operands exchanged: `a op b` iff `b op.swapped() a`.
    pub fn swapped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            CmpOp::Eq | CmpOp::Ne => self,
        }
    }

    /// The comparison that holds exactly when `op` does not, for a total order (Int; not
    /// for floats, where both fail on NaN).
    pub fn negated(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Ne,
            CmpOp::Ne => CmpOp::Eq,
            CmpOp::Lt => CmpOp::Ge,
            CmpOp::Le => CmpOp::Gt,
            CmpOp::Gt => CmpOp::Le,
            CmpOp::Ge => CmpOp::Lt,
        }
    }
}

pub use nyash_syntax::ast::{BinOp, UnOp};

#[derive(Clone, Debug, PartialEq)]
pub enum InstKind {
    // ---- legal MIR (what backends see) ----
    Const(Const),
    /// int × int → int
    IntBin {
        op: IntOp,
        a: ValueId,
        b: ValueId,
    },
    /// float × float → float
    FloatBin {
        op: FloatOp,
        a: ValueId,
        b: ValueId,
    },
    /// int × int → bool
    IntCmp {
        op: CmpOp,
        a: ValueId,
        b: ValueId,
    },
    /// float × float → bool
    FloatCmp {
        op: CmpOp,
        a: ValueId,
        b: ValueId,
    },
    /// Wrapping negation, int → int.
    IntNeg(ValueId),
    FloatNeg(ValueId),
    /// float → float: `sqrt`, `abs`, `floor`, `ceil` (the Float methods, inline).
    FloatUnary {
        op: FloatFn,
        a: ValueId,
    },
    /// float → int truncating toward zero, saturating at the i64 range, NaN → 0 (Rust `as`;
    /// the Float `toInteger()` method).
    FloatToInt(ValueId),
    BoolNot(ValueId),
    /// `cond ? a : b` (`cond` a bool) for two Int, Float or Bool values of one type. Both
    /// sides are already computed, so nothing is skipped; `passes::select` makes it from tiny
    /// branches.
    Select {
        cond: ValueId,
        a: ValueId,
        b: ValueId,
    },
    /// Boxed → bool: is the value `null` (tag `tag::NULL`)? Guards the typed fast path of an
    /// operation on a `T-or-null` value; the `null` side takes the generic path, which raises
    /// the runtime error.
    IsNull(ValueId),
    /// int → float (signed conversion).
    IntToFloat(ValueId),
    /// Any value → Boxed: Int/Float/Bool are tagged (`tag::INT`, `tag::FLOAT` with the f64
    /// bits, `tag::BOOL` with 0/1); an already Boxed value is passed through unchanged.
    ToDyn(ValueId),
    /// Boxed → `to` ∈ {Int, Float, Bool} for a value the runtime's contract guarantees to
    /// carry that tag (e.g. `"s".length()` is always an Int): Int → the payload word, Float →
    /// the payload bits as an f64, Bool → payload != 0. Nothing is checked at run time.
    FromDyn {
        value: ValueId,
        to: Type,
    },
    /// Direct call; argument representations equal the callee's parameter representations.
    Call {
        func: FuncId,
        args: Vec<ValueId>,
    },
    /// Call a runtime entry point; arguments follow `RtFn::signature`. If the signature
    /// says `site`, the backend appends the instruction's `SiteId` as a trailing i64.
    RtCall {
        func: crate::RtFn,
        args: Vec<ValueId>,
    },
    /// Dynamic method call: `recv` and every arg are Boxed, the result is Boxed. Backends
    /// store the args as consecutive `(tag, payload)` pairs in a stack buffer and call
    /// `nyrt_call_method(recv.tag, recv.payload, sym, args_ptr, argc, site)`.
    DynMethodCall {
        recv: ValueId,
        method: SymId,
        args: Vec<ValueId>,
    },
    /// First instruction of the entry function: calls
    /// `nyrt_init(argc, argv, meta_ptr, meta_len)` with `Module::runtime_metadata()`.
    InitRuntime {
        argc: ValueId,
        argv: ValueId,
    },
    /// Load field slot `slot` of the instance `obj` (Boxed): two i64 loads at
    /// `payload + layout::INSTANCE_FIELDS_OFFSET + layout::SLOT_SIZE * slot`. Result Boxed.
    /// No reference counting: the MIR around it says what to retain.
    FieldLoad {
        obj: ValueId,
        slot: u32,
    },
    /// Store the Boxed `value` into field slot `slot` of instance `obj`; no reference counting.
    FieldStore {
        obj: ValueId,
        slot: u32,
        value: ValueId,
    },
    /// Element `index` (an Int) of the array `arr` (static type `Array(sites)` whose element
    /// type `T` has a compact kind, `layout::array_kind`), as a `T`: no bounds, kind or null
    /// check. Only `passes::bounds_version` makes it, in a loop version entered after checking
    /// that every index the loop reads is in `0..len`, and only in loops where nothing can
    /// change an array header (`array_views`), so the backends read the element from the buffer
    /// (of the view taken before the loop, whose `nyrt_array_ensure_kind` made the kind `T`'s).
    /// The VM checks the bounds and the element's type anyway and reports an internal error if
    /// they fail: a wrong versioning is a compiler bug the corpus then catches.
    ArrayLoad {
        arr: ValueId,
        index: ValueId,
    },
    /// The address of a compiled function, as an int (used to register runtime callbacks).
    /// The VM returns an encoded `FuncId` instead and handles the call through the runtime's
    /// callback hook.
    FuncAddr(FuncId),

    // ---- generic MIR (before `legalize`) ----
    Binary {
        op: BinOp,
        a: ValueId,
        b: ValueId,
    },
    Unary {
        op: UnOp,
        a: ValueId,
    },
    /// Truthiness of any value → bool (runtime error for null and boxes).
    Truthy(ValueId),
    Print(ValueId),
    MethodCall {
        recv: ValueId,
        method: SymId,
        args: Vec<ValueId>,
    },
    /// Take a reference (the value will be released later); no-op for unboxed types.
    Retain(ValueId),
    /// Drop a reference; may run `fini` and free the object.
    Release(ValueId),
    /// Read a field by name; the result is owned (+1).
    FieldGet {
        obj: ValueId,
        field: SymId,
    },
    /// Write a field by name (the store takes its own reference to `value`).
    FieldSet {
        obj: ValueId,
        field: SymId,
        value: ValueId,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Terminator {
    Jump {
        target: BlockId,
        args: Vec<ValueId>,
    },
    /// `cond` is a Bool.
    Branch {
        cond: ValueId,
        then_block: BlockId,
        then_args: Vec<ValueId>,
        else_block: BlockId,
        else_args: Vec<ValueId>,
    },
    Return(ValueId),
    /// Control never gets here (e.g. a block under construction); backends emit a trap.
    Unreachable,
}

impl Terminator {
    /// Successor blocks with the arguments passed to each.
    pub fn successors(&self) -> Successors<'_> {
        let none = (BlockId::new(0), &[][..]);
        match self {
            Terminator::Jump { target, args } => {
                Successors { edges: [(*target, args.as_slice()), none], len: 1 }
            }
            Terminator::Branch { then_block, then_args, else_block, else_args, .. } => Successors {
                edges: [(*then_block, then_args.as_slice()), (*else_block, else_args.as_slice())],
                len: 2,
            },
            Terminator::Return(_) | Terminator::Unreachable => {
                Successors { edges: [none, none], len: 0 }
            }
        }
    }

    /// Calls `f` on each value the terminator reads (as `operands`, without a vector).
    pub fn for_each_operand(&self, mut f: impl FnMut(ValueId)) {
        for (_, args) in self.successors() {
            args.iter().copied().for_each(&mut f);
        }
        match self {
            Terminator::Branch { cond, .. } => f(*cond),
            Terminator::Return(v) => f(*v),
            Terminator::Jump { .. } | Terminator::Unreachable => {}
        }
    }

    /// The values a terminator reads: its condition or returned value, and the arguments it
    /// passes to successors.
    pub fn operands(&self) -> Vec<ValueId> {
        let mut out: Vec<ValueId> =
            self.successors().iter().flat_map(|(_, a)| a.iter().copied()).collect();
        match self {
            Terminator::Branch { cond, .. } => out.push(*cond),
            Terminator::Return(v) => out.push(*v),
            Terminator::Jump { .. } | Terminator::Unreachable => {}
        }
        out
    }

    /// Applies `f` to each successor block id in place (renumbering, retargeting edges).
    pub fn map_targets(&mut self, mut f: impl FnMut(&mut BlockId)) {
        match self {
            Terminator::Jump { target, .. } => f(target),
            Terminator::Branch { then_block, else_block, .. } => {
                f(then_block);
                f(else_block);
            }
            Terminator::Return(_) | Terminator::Unreachable => {}
        }
    }
}

/// A terminator's successor edges, `(target, arguments)`, at most two: a slice held inline
/// (the analyses ask for successors of every block again and again; a vector each time was
/// a large part of the front end's allocations).
#[derive(Clone, Copy, Debug)]
pub struct Successors<'a> {
    edges: [(BlockId, &'a [ValueId]); 2],
    len: usize,
}

impl<'a> std::ops::Deref for Successors<'a> {
    type Target = [(BlockId, &'a [ValueId])];
    fn deref(&self) -> &Self::Target {
        &self.edges[..self.len]
    }
}

impl<'a> IntoIterator for Successors<'a> {
    type Item = (BlockId, &'a [ValueId]);
    type IntoIter = std::iter::Take<std::array::IntoIter<(BlockId, &'a [ValueId]), 2>>;
    fn into_iter(self) -> Self::IntoIter {
        self.edges.into_iter().take(self.len)
    }
}

impl InstKind {
    /// Values this instruction reads.
    pub fn operands(&self) -> Vec<ValueId> {
        let mut out = Vec::new();
        self.for_each_operand(|v| out.push(v));
        out
    }

    /// Calls `f` on each value this instruction reads, in `operands` order (without
    /// allocating: the passes count and scan operands of every instruction many times).
    pub fn for_each_operand(&self, mut f: impl FnMut(ValueId)) {
        use InstKind::*;
        match self {
            Const(_) | FuncAddr(_) => {}
            IntBin { a, b, .. }
            | FloatBin { a, b, .. }
            | IntCmp { a, b, .. }
            | FloatCmp { a, b, .. }
            | Binary { a, b, .. } => {
                f(*a);
                f(*b);
            }
            IntNeg(a)
            | FloatNeg(a)
            | FloatUnary { a, .. }
            | FloatToInt(a)
            | BoolNot(a)
            | IsNull(a)
            | IntToFloat(a)
            | ToDyn(a)
            | Truthy(a)
            | Print(a)
            | Unary { a, .. }
            | Retain(a)
            | Release(a)
            | FromDyn { value: a, .. }
            | FieldLoad { obj: a, .. }
            | FieldGet { obj: a, .. } => f(*a),
            FieldStore { obj, value, .. } | FieldSet { obj, value, .. } => {
                f(*obj);
                f(*value);
            }
            ArrayLoad { arr, index } => {
                f(*arr);
                f(*index);
            }
            Call { args, .. } | RtCall { args, .. } => args.iter().copied().for_each(f),
            DynMethodCall { recv, args, .. } | MethodCall { recv, args, .. } => {
                f(*recv);
                args.iter().copied().for_each(f);
            }
            InitRuntime { argc, argv } => {
                f(*argc);
                f(*argv);
            }
            Select { cond, a, b } => {
                f(*cond);
                f(*a);
                f(*b);
            }
        }
    }

    /// True for the instructions that only exist before `legalize`.
    pub fn is_generic(&self) -> bool {
        matches!(
            self,
            InstKind::Binary { .. }
                | InstKind::Unary { .. }
                | InstKind::Truthy(_)
                | InstKind::Print(_)
                | InstKind::MethodCall { .. }
                | InstKind::Retain(_)
                | InstKind::Release(_)
                | InstKind::FieldGet { .. }
                | InstKind::FieldSet { .. }
        )
    }
}

/// Whether block `a` dominates block `b` (a block dominates itself), given `idom`, the
/// function's immediate dominators (`Function::dominators`). A block without one (the entry,
/// or one unreachable from it) is dominated by nothing else.
pub fn dominates(idom: &[Option<usize>], a: usize, mut b: usize) -> bool {
    loop {
        if a == b {
            return true;
        }
        match idom.get(b).copied().flatten() {
            Some(d) if d != b => b = d,
            _ => return false,
        }
    }
}

/// A natural loop of a function (`Function::natural_loops`).
#[derive(Clone, Debug)]
pub struct NaturalLoop {
    pub header: usize,
    /// Per block of the function: is it in the loop (the header included)?
    pub body: Vec<bool>,
    /// The header's only predecessor outside the loop, if it has exactly one.
    pub preheader: Option<usize>,
}

impl NaturalLoop {
    /// How many blocks the loop has (a loop nested in another has fewer).
    pub fn size(&self) -> usize {
        self.body.iter().filter(|&&x| x).count()
    }
}

impl Function {
    pub fn ty(&self, v: ValueId) -> Type {
        self.values[v.index()].ty
    }
    pub fn block(&self, b: BlockId) -> &Block {
        &self.blocks[b.index()]
    }
    pub fn block_ids(&self) -> impl Iterator<Item = BlockId> {
        (0..self.blocks.len()).map(BlockId::new)
    }
    /// The blocks reachable from the entry (block 0), in reverse postorder (iterative DFS):
    /// every block comes before its successors except along back edges.
    pub fn reverse_post_order(&self) -> Vec<usize> {
        let n = self.blocks.len();
        if n == 0 {
            return Vec::new();
        }
        let mut visited = vec![false; n];
        let mut post = Vec::with_capacity(n);
        let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
        visited[0] = true;
        while let Some(top) = stack.last_mut() {
            let b = top.0;
            let succs = self.blocks[b].term.successors();
            if top.1 < succs.len() {
                let s = succs[top.1].0.index();
                top.1 += 1;
                if s < n && !visited[s] {
                    visited[s] = true;
                    stack.push((s, 0));
                }
            } else {
                post.push(b);
                stack.pop();
            }
        }
        post.reverse();
        post
    }

    /// Each block's predecessors (each once), unreachable ones included.
    pub fn predecessors(&self) -> Vec<Vec<usize>> {
        let mut preds = vec![Vec::new(); self.blocks.len()];
        for (bi, b) in self.blocks.iter().enumerate() {
            for (t, _) in b.term.successors() {
                if let Some(p) = preds.get_mut(t.index()) {
                    if !p.contains(&bi) {
                        p.push(bi);
                    }
                }
            }
        }
        preds
    }

    /// Immediate dominators (Cooper–Harvey–Kennedy). `None` for blocks unreachable from the
    /// entry; the entry is its own dominator.
    pub fn dominators(&self) -> Vec<Option<usize>> {
        self.dominators_with(&self.predecessors())
    }

    /// `dominators`, given `preds = self.predecessors()` (for callers that need both).
    pub fn dominators_with(&self, preds: &[Vec<usize>]) -> Vec<Option<usize>> {
        let n = self.blocks.len();
        let rpo = self.reverse_post_order();
        let mut rpo_num = vec![usize::MAX; n];
        for (i, &b) in rpo.iter().enumerate() {
            rpo_num[b] = i;
        }
        let mut idom: Vec<Option<usize>> = vec![None; n];
        idom[0] = Some(0);
        let mut changed = true;
        while changed {
            changed = false;
            for &b in rpo.iter().skip(1) {
                let mut new: Option<usize> = None;
                for &p in &preds[b] {
                    if idom[p].is_none() {
                        continue;
                    }
                    new = Some(match new {
                        None => p,
                        Some(cur) => {
                            let (mut x, mut y) = (p, cur);
                            while x != y {
                                while rpo_num[x] > rpo_num[y] {
                                    x = idom[x].unwrap_or(0);
                                }
                                while rpo_num[y] > rpo_num[x] {
                                    y = idom[y].unwrap_or(0);
                                }
                            }
                            x
                        }
                    });
                }
                if new.is_some() && idom[b] != new {
                    idom[b] = new;
                    changed = true;
                }
            }
        }
        idom
    }

    /// The natural loops, one per header (the union of its back edges' loops), in block
    /// order of their headers. Only blocks reachable from the entry take part.
    pub fn natural_loops(&self) -> Vec<NaturalLoop> {
        let preds = self.predecessors();
        let idom = self.dominators_with(&preds);
        self.natural_loops_with(&preds, &idom)
    }

    /// `natural_loops`, given `preds = self.predecessors()` and `idom = self.dominators()`
    /// (for callers that need those too).
    pub fn natural_loops_with(
        &self,
        preds: &[Vec<usize>],
        idom: &[Option<usize>],
    ) -> Vec<NaturalLoop> {
        let n = self.blocks.len();
        let dominates = |a: usize, mut b: usize| loop {
            if a == b {
                return true;
            }
            match idom[b] {
                Some(p) if p != b => b = p,
                _ => return false,
            }
        };
        let mut loops = Vec::new();
        for h in (0..n).filter(|&h| idom[h].is_some()) {
            let latches: Vec<usize> = preds[h]
                .iter()
                .copied()
                .filter(|&p| idom[p].is_some() && dominates(h, p))
                .collect();
            if latches.is_empty() {
                continue;
            }
            let mut body = vec![false; n];
            body[h] = true;
            let mut work = latches;
            while let Some(b) = work.pop() {
                if !body[b] {
                    body[b] = true;
                    work.extend(preds[b].iter().copied().filter(|&p| idom[p].is_some()));
                }
            }
            let outside: Vec<usize> = preds[h].iter().copied().filter(|&p| !body[p]).collect();
            let preheader = match outside.as_slice() {
                [p] if idom[*p].is_some() => Some(*p),
                _ => None,
            };
            loops.push(NaturalLoop { header: h, body, preheader });
        }
        loops
    }

    /// The block defining each value (block parameters and instruction results).
    pub fn def_blocks(&self) -> FxHashMap<ValueId, usize> {
        let mut defs = FxHashMap::default();
        for (bi, b) in self.blocks.iter().enumerate() {
            for &p in &b.params {
                defs.insert(p, bi);
            }
            for inst in &b.insts {
                if let Some(r) = inst.result {
                    defs.insert(r, bi);
                }
            }
        }
        defs
    }

    pub fn new_value(&mut self, ty: Type) -> ValueId {
        self.values.push(ValueData { ty });
        ValueId::new(self.values.len() - 1)
    }
}

impl Module {
    /// The element type of arrays from `sites` (`Dyn` when not inferred).
    ///
    /// A site nothing is ever stored into (`Void`) holds no elements, so it adds nothing to
    /// the join: an array from `{never stored, Float}` sites holds only Floats (its reads may
    /// still be null, out of range, like any array's).
    pub fn array_elem(&self, sites: ArraySites) -> Type {
        let elems = sites.bits().map(|b| self.array_elems.get(b).copied().unwrap_or(Type::Dyn));
        elems
            .filter(|&t| t != Type::Void)
            .reduce(Type::join)
            .unwrap_or(if sites.bits().next().is_some() { Type::Void } else { Type::Dyn })
    }
    /// Per function: whether it runs at most once per program run. The entry does, when it
    /// has no loop, and so does a function whose only reference in the whole module is one
    /// direct call from such an entry (`Main.main`, or a script's body). Code outside every
    /// loop of such a function runs at most once, so a backend may keep it compact (runtime
    /// calls instead of inline fast paths) at no cost in run time.
    pub fn runs_once(&self) -> Vec<bool> {
        let n = self.funcs.len();
        let mut once = vec![false; n];
        let Some(entry) = self.funcs.get(self.entry.index()) else { return once };
        if !entry.natural_loops().is_empty() {
            return once;
        }
        once[self.entry.index()] = true;
        // References to each function: direct calls, and addresses taken (a registered
        // callback runs whenever the runtime decides).
        let mut refs = vec![0usize; n];
        for inst in self.funcs.iter().flat_map(|f| &f.blocks).flat_map(|b| &b.insts) {
            if let InstKind::Call { func: g, .. } | InstKind::FuncAddr(g) = inst.kind {
                if let Some(r) = refs.get_mut(g.index()) {
                    *r += 1;
                }
            }
        }
        for inst in entry.blocks.iter().flat_map(|b| &b.insts) {
            if let InstKind::Call { func: g, .. } = inst.kind {
                if g != self.entry && refs.get(g.index()) == Some(&1) {
                    once[g.index()] = true;
                }
            }
        }
        once
    }
    pub fn func(&self, f: FuncId) -> &Function {
        &self.funcs[f.index()]
    }
    pub fn func_ids(&self) -> impl Iterator<Item = FuncId> {
        (0..self.funcs.len()).map(FuncId::new)
    }

    /// The metadata blob handed to `nyrt_init`: UTF-8 lines, in this order:
    /// `F\t<file>` once; `S\t<line>\t<col>\t<func>` per site in `SiteId` order;
    /// `M\t<name>` per symbol in `SymId` order; `B\t<name>\t<parent BoxId or ->\t<field>,<field>…`
    /// per box in `BoxId` order (`S`tatic boxes too); `G\t<name>` per global in `GlobalId` order.
    pub fn runtime_metadata(&self) -> Vec<u8> {
        // One buffer written in place: `format!` per line allocated a string per site, and a
        // program has a site per instruction that can fail; this runs on every compile.
        use std::fmt::Write;
        let names: usize = self.sites.iter().map(|s| s.func.len() + 24).sum();
        let mut s = String::with_capacity(names + 64 * (self.symbols.len() + self.boxes.len()));
        // Writing to a `String` cannot fail.
        let _ = writeln!(s, "F\t{}", self.file_name.replace(['\n', '\t'], " "));
        for site in &self.sites {
            let _ = writeln!(s, "S\t{}\t{}\t{}", site.line, site.col, site.func);
        }
        for sym in &self.symbols {
            let _ = writeln!(s, "M\t{sym}");
        }
        for b in &self.boxes {
            let _ = write!(s, "B\t{}\t", b.name);
            match b.parent {
                Some(p) => {
                    let _ = write!(s, "{}", p.0);
                }
                None => s.push('-'),
            }
            let _ = writeln!(s, "\t{}", b.fields.join(","));
        }
        for g in &self.globals {
            let _ = writeln!(s, "G\t{g}");
        }
        s.into_bytes()
    }
}
