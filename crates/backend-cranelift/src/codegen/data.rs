//! Data objects: one immortal String object per string literal (writable: compiled code and
//! the runtime update its count in place), plus the read-only runtime metadata blob.

use super::module_error;
use cranelift_module::{DataDescription, DataId, Linkage, Module};
use nyash_mir::{layout, BackendError, Module as MirModule};

/// Declares and defines the string literal objects (indexed by `StrId`; the address of each
/// is the payload of its `Const::Str`, see `layout::immortal_str_object`) and the metadata
/// blob. Returns `(strings, metadata, metadata length)`.
pub(super) fn define_data<M: Module>(
    module: &mut M,
    mir: &MirModule,
) -> Result<(Vec<DataId>, DataId, usize), BackendError> {
    let mut strings = Vec::with_capacity(mir.strings.len());
    for (i, s) in mir.strings.iter().enumerate() {
        let name = format!("__nyash_str.{i}");
        let id = module
            .declare_data(&name, Linkage::Local, true, false)
            .map_err(|e| module_error(None, e))?;
        let mut desc = DataDescription::new();
        desc.define(layout::immortal_str_object(s).into_boxed_slice());
        desc.set_align(layout::OBJECT_ALIGN);
        module.define_data(id, &desc).map_err(|e| module_error(None, e))?;
        strings.push(id);
    }
    let meta_bytes = mir.runtime_metadata();
    let meta = define_bytes(module, "__nyash_meta", &meta_bytes)?;
    Ok((strings, meta, meta_bytes.len()))
}

/// A local read-only object holding `bytes` followed by a NUL (so no object is empty and the
/// bytes are also a valid C string; the length passed to the runtime excludes it).
fn define_bytes<M: Module>(
    module: &mut M,
    name: &str,
    bytes: &[u8],
) -> Result<DataId, BackendError> {
    let id = module
        .declare_data(name, Linkage::Local, false, false)
        .map_err(|e| module_error(None, e))?;
    let mut contents = Vec::with_capacity(bytes.len() + 1);
    contents.extend_from_slice(bytes);
    contents.push(0);
    let mut desc = DataDescription::new();
    desc.define(contents.into_boxed_slice());
    module.define_data(id, &desc).map_err(|e| module_error(None, e))?;
    Ok(id)
}
