//! Type-based alias analysis tags for the memory the inline code touches, so LLVM can keep
//! object words and array elements in registers across stores that cannot reach them (a
//! field load hoisted past another object's count update, a header word past element stores).
//!
//! Two classes, each a scalar TBAA type under one root; accesses of different types are
//! assumed not to overlap, accesses without a tag (stack buffers, anything else) overlap all:
//! - `obj+N`: the word at byte offset N of a heap object, addressed from the object's start
//!   (counts, array headers, instance field slots). Objects do not overlap and each such
//!   access stays inside its object, so `A+N` and `B+M` can be the same address only for
//!   `A == B` and `N == M`: different offsets never alias, whichever objects.
//! - `elem`: an element in an array's separately allocated buffer (`nyash_mir::layout`), never
//!   inside an object.
//!
//! Memory is freed and reused only inside runtime calls (the inline release never frees), and
//! LLVM moves no access across a call that may write memory, so reuse cannot make two tagged
//! accesses of different types meet.

use super::{CgError, CgResult, ModuleCodegen};
use inkwell::values::{InstructionValue, MetadataValue};

/// What an access touches (see the module docs).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Mem {
    /// The word at this byte offset of a heap object.
    Obj(i64),
    /// An element (or a word of a `(tag, payload)` element) in an array buffer.
    Elem,
}

/// The TBAA nodes made so far in a module (behind a `RefCell` in `ModuleCodegen`, so
/// lowering code holding it shared can tag accesses).
#[derive(Default)]
pub(crate) struct Tbaa<'ctx> {
    root: Option<MetadataValue<'ctx>>,
    /// Access tags by class: `elem` first, then per object offset.
    elem: Option<MetadataValue<'ctx>>,
    obj: std::collections::HashMap<i64, MetadataValue<'ctx>>,
}

impl<'a, 'ctx> ModuleCodegen<'a, 'ctx> {
    /// The access tag `!{T, T, 0}` for `mem`, its scalar type `T = !{name, root, 0}` made on
    /// first use.
    fn tbaa_tag(&self, mem: Mem) -> MetadataValue<'ctx> {
        let mut tbaa = self.tbaa.borrow_mut();
        let cached = match mem {
            Mem::Elem => tbaa.elem,
            Mem::Obj(n) => tbaa.obj.get(&n).copied(),
        };
        if let Some(tag) = cached {
            return tag;
        }
        let ctx = self.ctx;
        let zero = self.types.i64.const_zero();
        let root = *tbaa
            .root
            .get_or_insert_with(|| ctx.metadata_node(&[ctx.metadata_string("nyash").into()]));
        let name = match mem {
            Mem::Elem => "elem".to_string(),
            Mem::Obj(n) => format!("obj+{n}"),
        };
        let ty = ctx.metadata_node(&[ctx.metadata_string(&name).into(), root.into(), zero.into()]);
        let tag = ctx.metadata_node(&[ty.into(), ty.into(), zero.into()]);
        match mem {
            Mem::Elem => tbaa.elem = Some(tag),
            Mem::Obj(n) => {
                tbaa.obj.insert(n, tag);
            }
        }
        tag
    }

    /// Tags the load or store `inst` as touching `mem`.
    pub(crate) fn set_tbaa(&self, inst: InstructionValue<'ctx>, mem: Mem) -> CgResult<()> {
        let tag = self.tbaa_tag(mem);
        inst.set_metadata(tag, self.ctx.get_kind_id("tbaa"))
            .map_err(|e| CgError(format!("tbaa metadata: {e}")))
    }
}
