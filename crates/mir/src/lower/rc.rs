//! Reference-counting discipline of lowering: owned temporaries and scope-based drops.
//!
//! Lowering decides every Retain/Release (LANGUAGE.md §5 *Memory*); backends only emit the
//! calls. The rules (see the wave-2 design):
//! - every variable (local or parameter, not `me`) owns its value, except *borrowed
//!   parameters* (below); owned parameters are retained at function entry;
//! - an expression result is *owned* (calls, `new`, string constants, runtime operator
//!   results, field reads) or *borrowed* (variable reads, `me`). Owned results are recorded in
//!   `FuncBuilder::temps` when produced; [`FuncBuilder::take`] moves one out of that list (or
//!   retains a borrowed value) when it is stored in a variable, returned or passed along a
//!   jump; whatever is still in the list at the end of the statement (or of the conditional
//!   region that created it) is released;
//! - scope ends release the scope's variables in reverse declaration order; `break`,
//!   `continue` and `return` release every variable of the scopes they leave.
//!
//! Values whose lowering-time type is already known to be non-counted (Int/Float/Bool/null
//! constants, comparisons) are never recorded; legalization deletes the rest of the no-op
//! Retain/Release pairs once types are inferred.
//!
//! Elision rules (each removes work without changing any count that can be observed):
//! 1. *Borrowed parameters.* A parameter whose name is never an assignment target anywhere in
//!    the body (by name, so a shadowing `local` that is assigned also counts — conservative)
//!    gets no `Retain` at entry and no `Release` at any exit, exactly like `me`: arguments are
//!    borrowed and the caller keeps each one alive for the whole call (it is a caller variable,
//!    which the callee cannot reassign, or a caller temporary released only after the call's
//!    statement). Such a variable's value is never a block parameter (only assigned names get
//!    loop-header parameters, and an `if` merge only adds parameters for values that differ),
//!    so reading it is a plain borrowed read and [`FuncBuilder::take`] retains it whenever it
//!    moves into an owning position (local, return value, jump argument); runtime functions
//!    and field stores that keep it retain it themselves.
//! 2. *Retain/Release pairs* on one value inside a block are removed by legalization
//!    (`legalize_boxes::elide_retain_release`, rules documented there).
//! 3. *Consuming `+`.* `x = x + e` / `x += e` lowers to `r = x + e; Release(x_old)` with the
//!    release immediately after the add (the assignment drops the old value right after
//!    evaluating the new one); legalization fuses a runtime `+` followed by the release of its
//!    left operand into `nyrt_add_consume`, which takes over that reference and appends in
//!    place when the String is unique. It also fuses a String operand's release found later
//!    in the block, as in a chain `x = x + a + b` or `t1 + t2` on temporaries (see
//!    `legalize::consume_plan`). Numeric `+` stays an inline `IntBin`/`FloatBin`.

use super::FuncBuilder;
use crate::ir::*;

impl FuncBuilder<'_, '_> {
    /// Records `v` as an owned temporary of the current statement and returns it.
    pub fn owned(&mut self, v: ValueId) -> ValueId {
        if self.func.ty(v).is_counted() {
            self.temps.push(v);
        }
        v
    }

    /// Makes the caller the owner of one reference to `v`: an owned temporary is moved out of
    /// the temporaries list, a borrowed value is retained.
    pub fn take(&mut self, v: ValueId, pos: u32) -> ValueId {
        if let Some(i) = self.temps.iter().rposition(|t| *t == v) {
            self.temps.remove(i);
        } else if self.func.ty(v).is_counted() {
            self.emit_void(InstKind::Retain(v), pos);
        }
        v
    }

    /// Releases (in reverse creation order) the temporaries recorded since `mark`.
    pub fn release_temps(&mut self, mark: usize, pos: u32) {
        while self.temps.len() > mark {
            if let Some(t) = self.temps.pop() {
                self.emit_void(InstKind::Release(t), pos);
            }
        }
    }

    /// Takes ownership of parameter `v` at function entry, or, when the body never assigns
    /// it, borrows it from the caller for the whole call (elision rule 1).
    /// `var` is the parameter's variable index.
    pub fn own_param(&mut self, var: usize, assigned: bool, pos: u32) {
        if assigned {
            let v = self.vars[var].value;
            self.emit_void(InstKind::Retain(v), pos);
        } else {
            self.vars[var].borrowed = true;
        }
    }

    /// Releases the current values of variables `from..` in reverse declaration order (the
    /// variables stay declared; used by scope ends, `break`, `continue` and `return`).
    /// Borrowed parameters own nothing and are skipped.
    pub fn release_vars_from(&mut self, from: usize, pos: u32) {
        let vals: Vec<ValueId> = self.vars[from.min(self.vars.len())..]
            .iter()
            .filter(|v| !v.borrowed)
            .map(|v| v.value)
            .collect();
        for v in vals.into_iter().rev() {
            if self.func.ty(v).is_counted() {
                self.emit_void(InstKind::Release(v), pos);
            }
        }
    }
}
