//! What the heap holds, for type inference: the type of each field slot of each box, and the
//! element type of the arrays made at each allocation site.
//!
//! Both are joins of every store inference can see, so they are only sound while no store
//! can happen out of its sight:
//! - **Fields.** A declared slot of a box outside any delegation chain is the join of every
//!   value stored into it (by a `FieldSet` on a receiver of that box type, or on a receiver of
//!   unknown type with that field name), joined with `Void` unless every constructor stores
//!   the slot before `me` can be observed ([`definitely_initialized`]), so that no read sees
//!   the initial `null`. Boxes with a parent or children keep `Dyn` slots: there `Instance(b)`
//!   may be an instance of another layout.
//! - **Arrays.** Each `new ArrayBox()` gets a site bit ([`ArraySites`]); an array's element
//!   type is the join of what `push`/`set`/`insert` store through receivers of that site.
//!   Once an array value can be reached by code that does not know its sites — it flowed into
//!   a value of another type (a join to `Dyn`), a field or argument inference does not track,
//!   or an untracked array — its sites *escape*: their elements are `Dyn` from then on, and so
//!   are the elements of the arrays stored in them.

use crate::ir::*;
use rustc_hash::{FxHashMap, FxHashSet};

/// An inferred type; `None` is bottom (nothing known yet).
pub type T = Option<Type>;

/// Least upper bound with bottom.
pub fn join(a: T, b: T) -> T {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(a.join(b)),
    }
}

pub struct Heap {
    /// Per box, per slot: what the slot can hold.
    pub fields: Vec<Vec<T>>,
    /// Typed field slots by (box, field name).
    slots: FxHashMap<(BoxId, SymId), usize>,
    /// Typed field slots by field name (the slots a store through an unknown receiver may hit).
    slots_named: FxHashMap<SymId, Vec<(BoxId, usize)>>,
    /// Per site bit: the join of the elements stored into arrays of that site.
    elems: [T; 64],
    /// Site bits whose arrays escaped (always includes `ArraySites::UNTRACKED`).
    escaped: u64,
}

impl Heap {
    pub fn new(m: &Module) -> Heap {
        let syms: FxHashMap<&str, SymId> =
            m.symbols.iter().enumerate().map(|(i, s)| (s.as_str(), SymId::new(i))).collect();
        let typed = typed_boxes(m);
        let mut slots = FxHashMap::default();
        let mut slots_named: FxHashMap<SymId, Vec<(BoxId, usize)>> = FxHashMap::default();
        let mut fields = Vec::with_capacity(m.boxes.len());
        for (bi, b) in m.boxes.iter().enumerate() {
            if !typed[bi] {
                fields.push(vec![Some(Type::Dyn); b.fields.len()]);
                continue;
            }
            let init = definitely_initialized(m, b);
            fields.push(init.iter().map(|&i| if i { None } else { Some(Type::Void) }).collect());
            for (i, name) in b.fields.iter().enumerate() {
                if let Some(&s) = syms.get(name.as_str()) {
                    slots.insert((BoxId::new(bi), s), i);
                    slots_named.entry(s).or_default().push((BoxId::new(bi), i));
                }
            }
        }
        Heap { fields, slots, slots_named, elems: [None; 64], escaped: ArraySites::UNTRACKED.0 }
    }

    /// Raises `slot` to include `t`; reports whether it changed. A join that turns an array
    /// into something else makes its sites escape (the result no longer says which they are).
    pub fn raise(&mut self, slot: &mut T, t: T) -> bool {
        let n = join(*slot, t);
        if !matches!(n, Some(Type::Array(_)) | None) {
            for x in [*slot, t] {
                if let Some(Type::Array(s)) = x {
                    self.escape(s);
                }
            }
        }
        if n != *slot {
            *slot = n;
            true
        } else {
            false
        }
    }

    /// The declared, typed slot of `field` on a receiver of type `recv`.
    fn slot(&self, recv: Type, field: SymId) -> Option<(BoxId, usize)> {
        match recv {
            Type::Instance(b) | Type::InstanceOrNull(b) => {
                self.slots.get(&(b, field)).map(|&i| (b, i))
            }
            _ => None,
        }
    }

    /// The type a `FieldGet` of `field` on a receiver of type `recv` yields.
    pub fn field_get(&mut self, recv: Type, field: SymId) -> T {
        if let Some((b, i)) = self.slot(recv, field) {
            return self.fields[b.index()][i];
        }
        if !matches!(recv, Type::Instance(_) | Type::InstanceOrNull(_)) {
            // By name on a receiver of unknown type: any typed slot of that name is read as
            // Dyn, so the arrays it holds escape.
            for &(b, i) in self.slots_named.get(&field).cloned().iter().flatten() {
                let t = self.fields[b.index()][i];
                self.escape_value(t);
            }
        }
        Some(Type::Dyn)
    }

    /// Records a `FieldSet` of a value of type `t` on a receiver of type `recv`.
    pub fn field_set(&mut self, recv: Type, field: SymId, t: T) -> bool {
        let mut changed = false;
        if let Some((b, i)) = self.slot(recv, field) {
            let mut slot = self.fields[b.index()][i];
            changed |= self.raise(&mut slot, t);
            self.fields[b.index()][i] = slot;
            return changed;
        }
        // Untyped slots (delegation boxes, undeclared fields) hide what they hold.
        self.escape_value(t);
        if !matches!(recv, Type::Instance(_) | Type::InstanceOrNull(_)) {
            // A receiver of unknown type may be any box with this field.
            for &(b, i) in self.slots_named.get(&field).cloned().iter().flatten() {
                let mut slot = self.fields[b.index()][i];
                changed |= self.raise(&mut slot, t);
                self.fields[b.index()][i] = slot;
            }
        }
        changed
    }

    /// The element type of arrays from `sites` (`None` while nothing is known).
    pub fn elem(&self, sites: ArraySites) -> T {
        if sites.0 & self.escaped != 0 {
            return Some(Type::Dyn);
        }
        sites.bits().fold(None, |acc, b| join(acc, self.elems[b]))
    }

    /// Records that a value of type `t` is stored into an array from `sites`.
    pub fn store_elem(&mut self, sites: ArraySites, t: T) -> bool {
        if sites.0 & self.escaped != 0 {
            // Someone may read it without knowing its type.
            self.escape_value(t);
        }
        let mut changed = false;
        for b in sites.bits() {
            let mut e = self.elems[b];
            changed |= self.raise(&mut e, t);
            self.elems[b] = e;
        }
        changed
    }

    /// A value of type `t` goes where inference does not follow it.
    pub fn escape_value(&mut self, t: T) {
        if let Some(Type::Array(s)) = t {
            self.escape(s);
        }
    }

    /// The arrays of `sites` (and, transitively, the arrays stored in them) escape.
    pub fn escape(&mut self, sites: ArraySites) {
        let mut todo = sites.0 & !self.escaped;
        while todo != 0 {
            self.escaped |= todo;
            let mut next = 0;
            for b in ArraySites(todo).bits() {
                if let Some(Type::Array(inner)) = self.elems[b] {
                    next |= inner.0;
                }
            }
            todo = next & !self.escaped;
        }
    }

    /// The element type per site bit, for `Module::array_elems` (`Dyn` when escaped; `Void`
    /// when nothing is ever stored, so every read is `null`).
    pub fn elem_types(&self) -> Vec<Type> {
        (0..64).map(|b| self.elem(ArraySites(1 << b)).unwrap_or(Type::Void)).collect()
    }

    /// A number that grows whenever a site escapes (to detect progress).
    pub fn escaped_bits(&self) -> u64 {
        self.escaped
    }

    /// Defaults still-unknown field slots to `Dyn`; reports whether any was.
    pub fn default_unknown(&mut self) -> bool {
        let mut any = false;
        for slot in self.fields.iter_mut().flatten().filter(|t| t.is_none()) {
            *slot = Some(Type::Dyn);
            any = true;
        }
        any
    }
}

/// The boxes whose field slots are typed: instance boxes outside any delegation chain.
fn typed_boxes(m: &Module) -> Vec<bool> {
    let mut typed: Vec<bool> = m.boxes.iter().map(|b| !b.is_static && b.parent.is_none()).collect();
    for b in &m.boxes {
        if let Some(p) = b.parent {
            if let Some(t) = typed.get_mut(p.index()) {
                *t = false;
            }
        }
    }
    typed
}

/// Which slots of box `b` every constructor stores before anything can read them: the walk
/// follows each constructor from its entry through unconditional jumps and stops at the first
/// instruction that uses `me` other than as the receiver of a `FieldSet` (until then `me` has
/// not escaped, so no code can read its fields). A box without constructors keeps its `null`s.
fn definitely_initialized(m: &Module, b: &BoxDef) -> Vec<bool> {
    let slot_of = |s: SymId| {
        let name = m.symbols.get(s.index())?;
        b.fields.iter().position(|f| f == name)
    };
    let mut all: Option<Vec<bool>> = None;
    for &(_, fid) in &b.constructors {
        let mut init = vec![false; b.fields.len()];
        if let Some(f) = m.funcs.get(fid.index()) {
            if let Some(&me) = f.params.first() {
                let mut block = Some(BlockId::new(0));
                let mut seen = FxHashSet::default();
                'walk: while let Some(bid) = block.take() {
                    if !seen.insert(bid) {
                        break;
                    }
                    let Some(bb) = f.blocks.get(bid.index()) else { break };
                    for inst in &bb.insts {
                        match &inst.kind {
                            InstKind::FieldSet { obj, field, value }
                                if *obj == me && *value != me =>
                            {
                                if let Some(i) = slot_of(*field) {
                                    init[i] = true;
                                }
                            }
                            k if k.operands().contains(&me) => break 'walk,
                            _ => {}
                        }
                    }
                    if let Terminator::Jump { target, args } = &bb.term {
                        if !args.contains(&me) {
                            block = Some(*target);
                        }
                    }
                }
            }
        }
        all = Some(match all {
            None => init,
            Some(prev) => prev.iter().zip(&init).map(|(a, b)| *a && *b).collect(),
        });
    }
    all.unwrap_or_else(|| vec![false; b.fields.len()])
}
