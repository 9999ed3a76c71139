//! Calls into the Nyash runtime: `nyrt_*` declarations per `RtFn::signature()`, argument
//! marshalling to i64 words, result decoding, constant data (string literals, the metadata
//! blob) and the AOT C `main`.

use super::{CgError, CgResult, ModuleCodegen, Val};
use crate::llvm14;
use inkwell::attributes::{Attribute, AttributeLoc};
use inkwell::builder::Builder;
use inkwell::module::Linkage;
use inkwell::types::BasicMetadataTypeEnum;
use inkwell::values::UnnamedAddress;
use inkwell::values::{
    BasicMetadataValueEnum, BasicValueEnum, FunctionValue, GlobalValue, IntValue,
};
use nyash_mir::{layout, tag, Repr, RtFn, SiteId, StrId};

impl<'a, 'ctx> ModuleCodegen<'a, 'ctx> {
    /// The external declaration of a runtime entry point (made on first use).
    pub(crate) fn rt_decl(&mut self, f: RtFn) -> CgResult<FunctionValue<'ctx>> {
        if let Some(&decl) = self.rt_decls.get(&f) {
            return Ok(decl);
        }
        let sig = f.signature();
        let words: usize =
            sig.params.iter().map(|&r| repr_words(r)).sum::<CgResult<usize>>()? + sig.site as usize;
        let params: Vec<BasicMetadataTypeEnum<'ctx>> = vec![self.types.i64.into(); words];
        let fn_ty = match sig.ret {
            None => self.ctx.void_type().fn_type(&params, false),
            Some(Repr::I64 | Repr::Bool) => self.types.i64.fn_type(&params, false),
            Some(Repr::Boxed) => self.types.pair.fn_type(&params, false),
            Some(Repr::F64) => {
                return Err(CgError(format!("{} returns a float, which the ABI forbids", f.name())))
            }
        };
        let decl = self.module.add_function(f.name(), fn_ty, Some(Linkage::External));
        // Runtime functions are Rust `extern "C"`: a panic aborts rather than unwinding.
        self.add_fn_attr(decl, "nounwind");
        if matches!(f, RtFn::ErrorDivZero | RtFn::ErrorStackOverflow) {
            // Lets LLVM treat the error path as cold and everything after it as dead.
            self.add_fn_attr(decl, "noreturn");
            self.add_fn_attr(decl, "cold");
        }
        self.rt_decls.insert(f, decl);
        Ok(decl)
    }

    fn add_fn_attr(&self, f: FunctionValue<'ctx>, name: &str) {
        let kind = Attribute::get_named_enum_kind_id(name);
        f.add_attribute(AttributeLoc::Function, self.ctx.create_enum_attribute(kind, 0));
    }

    /// Calls `f` with MIR-level arguments, appending the site when the signature asks for it.
    /// Returns the decoded result (`None` for void entry points).
    pub(crate) fn rt_call(
        &mut self,
        builder: &Builder<'ctx>,
        f: RtFn,
        args: &[Val<'ctx>],
        site: SiteId,
        name: &str,
    ) -> CgResult<Option<Val<'ctx>>> {
        let sig = f.signature();
        if sig.params.len() != args.len() {
            return Err(CgError(format!(
                "{} takes {} arguments, got {}",
                f.name(),
                sig.params.len(),
                args.len()
            )));
        }
        let mut words: Vec<BasicMetadataValueEnum<'ctx>> = Vec::new();
        for (i, (&want, arg)) in sig.params.iter().zip(args).enumerate() {
            if arg.repr() != want {
                return Err(CgError(format!(
                    "{} argument {i}: expected {want:?}, got {:?}",
                    f.name(),
                    arg.repr()
                )));
            }
            self.push_words(builder, *arg, &mut words)?;
        }
        if sig.site {
            words.push(self.types.i64.const_int(site.0 as u64, false).into());
        }
        self.rt_call_words(builder, f, &words, name)
    }

    /// Calls `f` with already-flattened i64 words (including the site, if any).
    pub(crate) fn rt_call_words(
        &mut self,
        builder: &Builder<'ctx>,
        f: RtFn,
        words: &[BasicMetadataValueEnum<'ctx>],
        name: &str,
    ) -> CgResult<Option<Val<'ctx>>> {
        let decl = self.rt_decl(f)?;
        let call = llvm14::call(builder, decl, words, name)?;
        let ret = call.try_as_basic_value().basic();
        Ok(match (f.signature().ret, ret) {
            (None, _) => None,
            (Some(Repr::I64), Some(BasicValueEnum::IntValue(v))) => Some(Val::I64(v)),
            (Some(Repr::Bool), Some(BasicValueEnum::IntValue(v))) => {
                let zero = self.types.i64.const_zero();
                Some(Val::Bool(builder.build_int_compare(
                    inkwell::IntPredicate::NE,
                    v,
                    zero,
                    name,
                )?))
            }
            (Some(Repr::Boxed), Some(BasicValueEnum::StructValue(pair))) => {
                Some(self.split_pair(builder, pair, name)?)
            }
            (want, _) => {
                return Err(CgError(format!(
                    "{} returned an unexpected LLVM value for {want:?}",
                    f.name()
                )))
            }
        })
    }

    /// A returned `{i64, i64}` as a Boxed value.
    pub(crate) fn split_pair(
        &self,
        builder: &Builder<'ctx>,
        pair: inkwell::values::StructValue<'ctx>,
        name: &str,
    ) -> CgResult<Val<'ctx>> {
        let tag = builder.build_extract_value(pair, 0, &format!("{name}.tag"))?.into_int_value();
        let payload =
            builder.build_extract_value(pair, 1, &format!("{name}.pay"))?.into_int_value();
        Ok(Val::Boxed(tag, payload))
    }

    /// Appends the runtime-ABI words of `v`: Bool widens to i64 0/1, Boxed gives two words.
    pub(crate) fn push_words(
        &self,
        builder: &Builder<'ctx>,
        v: Val<'ctx>,
        out: &mut Vec<BasicMetadataValueEnum<'ctx>>,
    ) -> CgResult<()> {
        match v {
            Val::I64(x) => out.push(x.into()),
            Val::Bool(b) => out.push(builder.build_int_z_extend(b, self.types.i64, "")?.into()),
            Val::Boxed(t, p) => {
                out.push(t.into());
                out.push(p.into());
            }
            Val::F64(_) => {
                return Err(CgError("a float cannot be passed to the runtime directly".into()))
            }
        }
        Ok(())
    }

    /// `nyrt_error_div_zero(site)` followed by `unreachable`; leaves the builder unpositioned
    /// in a terminated block.
    pub(crate) fn call_div_zero(&mut self, builder: &Builder<'ctx>, site: SiteId) -> CgResult<()> {
        self.rt_call(builder, RtFn::ErrorDivZero, &[], site, "")?;
        builder.build_unreachable()?;
        Ok(())
    }

    /// Calls the overloaded LLVM intrinsic `name` specialized to `types`.
    pub(crate) fn call_intrinsic(
        &mut self,
        builder: &Builder<'ctx>,
        name: &str,
        types: &[inkwell::types::BasicTypeEnum<'ctx>],
        args: &[inkwell::values::BasicMetadataValueEnum<'ctx>],
    ) -> CgResult<inkwell::values::BasicValueEnum<'ctx>> {
        let intrinsic = inkwell::intrinsics::Intrinsic::find(name)
            .ok_or_else(|| CgError(format!("LLVM has no {name} intrinsic")))?;
        let decl = intrinsic
            .get_declaration(&self.module, types)
            .ok_or_else(|| CgError(format!("cannot declare {name}")))?;
        llvm14::call(builder, decl, args, "")?
            .try_as_basic_value()
            .basic()
            .ok_or_else(|| CgError(format!("{name} returned nothing")))
    }

    /// `llvm.trap()` + `unreachable` for a MIR `Unreachable` terminator.
    pub(crate) fn trap(&mut self, builder: &Builder<'ctx>) -> CgResult<()> {
        let trap = match self.trap {
            Some(t) => t,
            None => {
                let intrinsic = inkwell::intrinsics::Intrinsic::find("llvm.trap")
                    .ok_or_else(|| CgError("LLVM has no llvm.trap intrinsic".into()))?;
                let decl = intrinsic
                    .get_declaration(&self.module, &[])
                    .ok_or_else(|| CgError("cannot declare llvm.trap".into()))?;
                self.trap = Some(decl);
                decl
            }
        };
        llvm14::call(builder, trap, &[], "")?;
        builder.build_unreachable()?;
        Ok(())
    }

    /// A private constant byte array (not NUL-terminated).
    fn bytes_global(&self, bytes: &[u8], name: &str) -> GlobalValue<'ctx> {
        let init = self.ctx.const_string(bytes, false);
        let global = self.module.add_global(init.get_type(), None, name);
        global.set_initializer(&init);
        global.set_constant(true);
        global.set_linkage(Linkage::Private);
        global.set_unnamed_address(UnnamedAddress::Global);
        global.set_alignment(1);
        global
    }

    /// The address of a global as an i64 word.
    fn global_addr(
        &self,
        builder: &Builder<'ctx>,
        g: GlobalValue<'ctx>,
        name: &str,
    ) -> CgResult<IntValue<'ctx>> {
        Ok(builder.build_ptr_to_int(g.as_pointer_value(), self.types.i64, name)?)
    }

    /// Literal `id`'s String: the address of its immortal object, a private writable global
    /// laid out by `layout::immortal_str_object` (compiled code and the runtime update its
    /// count in place, so it cannot be constant).
    pub(crate) fn const_str(&mut self, id: StrId) -> CgResult<Val<'ctx>> {
        let global = match self.str_globals.get(&id) {
            Some(&g) => g,
            None => {
                let text = self
                    .mir
                    .strings
                    .get(id.index())
                    .ok_or_else(|| CgError(format!("string literal {id} does not exist")))?;
                let init = self.ctx.const_string(&layout::immortal_str_object(text), false);
                let g = self.module.add_global(init.get_type(), None, &format!("str.{}", id.0));
                g.set_initializer(&init);
                g.set_linkage(Linkage::Private);
                g.set_alignment(layout::OBJECT_ALIGN as u32);
                self.str_globals.insert(id, g);
                g
            }
        };
        let ptr = global.as_pointer_value().const_to_int(self.types.i64);
        Ok(Val::Boxed(self.types.i64.const_int(tag::STR as u64, false), ptr))
    }

    /// `nyrt_init(argc, argv, meta_ptr, meta_len)` with `Module::runtime_metadata()` as data.
    pub(crate) fn init_runtime(
        &mut self,
        builder: &Builder<'ctx>,
        argc: Val<'ctx>,
        argv: Val<'ctx>,
    ) -> CgResult<()> {
        let meta = self.mir.runtime_metadata();
        let global = self.bytes_global(&meta, "nyash.metadata");
        let ptr = self.global_addr(builder, global, "meta")?;
        let len = self.types.i64.const_int(meta.len() as u64, false);
        self.rt_call(
            builder,
            RtFn::Init,
            &[argc, argv, Val::I64(ptr), Val::I64(len)],
            SiteId(0),
            "",
        )?;
        Ok(())
    }

    /// AOT only: `int main(int argc, char **argv)` → `nyrt_start(argc, argv, &entry)`, which
    /// runs the entry on a big-stack thread and returns its exit code.
    pub(crate) fn define_c_main(&mut self, entry: FunctionValue<'ctx>) -> CgResult<()> {
        let argv_ty = llvm14::byte_ptr_type(self.ctx).ptr_type(inkwell::AddressSpace::default());
        let main_ty = self.types.i32.fn_type(&[self.types.i32.into(), argv_ty.into()], false);
        let main = self.module.add_function("main", main_ty, Some(Linkage::External));
        let builder = self.ctx.create_builder();
        builder.position_at_end(self.ctx.append_basic_block(main, "entry"));
        let argc = main
            .get_nth_param(0)
            .ok_or_else(|| CgError("main has no argc".into()))?
            .into_int_value();
        let argv = main
            .get_nth_param(1)
            .ok_or_else(|| CgError("main has no argv".into()))?
            .into_pointer_value();
        argc.set_name("argc");
        argv.set_name("argv");
        let argc = builder.build_int_s_extend(argc, self.types.i64, "argc64")?;
        let argv = builder.build_ptr_to_int(argv, self.types.i64, "argv64")?;
        let entry_addr = builder.build_ptr_to_int(
            entry.as_global_value().as_pointer_value(),
            self.types.i64,
            "entry",
        )?;
        let code = self
            .rt_call(
                &builder,
                RtFn::Start,
                &[Val::I64(argc), Val::I64(argv), Val::I64(entry_addr)],
                SiteId(0),
                "code",
            )?
            .ok_or_else(|| CgError("nyrt_start returned nothing".into()))?;
        let Val::I64(code) = code else {
            return Err(CgError("nyrt_start must return an i64".into()));
        };
        let code = builder.build_int_truncate(code, self.types.i32, "exit")?;
        builder.build_return(Some(&code))?;
        Ok(())
    }
}

/// How many i64 words a parameter of `repr` takes at the runtime ABI.
fn repr_words(r: Repr) -> CgResult<usize> {
    match r {
        Repr::I64 | Repr::Bool => Ok(1),
        Repr::Boxed => Ok(2),
        Repr::F64 => Err(CgError("floats never cross the runtime ABI".into())),
    }
}
