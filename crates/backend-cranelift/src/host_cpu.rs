//! The host's ISA builder with its CPU features, read from what glibc detected at start-up
//! rather than by executing `cpuid` again.
//!
//! `cranelift_native::builder` asks the standard library, whose first feature query runs
//! `cpuid` about ten times. Inside a virtual machine every `cpuid` traps to the hypervisor:
//! 5 µs each on the benchmark machine, 40 µs per process, a tenth of a one-line program's
//! whole code generation. glibc's dynamic loader has already run those queries before
//! `main` and exports the results (`<sys/platform/x86.h>`, glibc 2.33 and later), with the
//! same meaning as the standard library's answers: present on the CPU *and* enabled by the
//! operating system. Elsewhere, or with an older glibc, this falls back to
//! `cranelift_native`. The test `host_features_match_cranelift_native` keeps the two equal.

use cranelift_codegen::isa;

/// The ISA builder for the machine we are running on, its CPU feature flags set.
pub(crate) fn builder() -> Result<isa::Builder, String> {
    #[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
    if let Some(builder) = glibc::builder()? {
        return Ok(builder);
    }
    cranelift_native::builder().map_err(str::to_string)
}

#[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
mod glibc {
    use cranelift_codegen::isa;
    use cranelift_codegen::settings::Configurable;
    use target_lexicon::Triple;

    /// glibc's `struct cpuid_feature`: one `cpuid` leaf's registers (eax, ebx, ecx, edx) as
    /// the CPU reported them, and the bits of the features that are usable.
    #[repr(C)]
    struct CpuidFeature {
        cpuid: [u32; 4],
        active: [u32; 4],
    }

    type FeatureLeaf = unsafe extern "C" fn(u32) -> *const CpuidFeature;

    // glibc's leaf indices (`CPUID_INDEX_*`) and register indices.
    const LEAF_1: u32 = 0;
    const LEAF_7: u32 = 1;
    const LEAF_80000001: u32 = 2;
    const LEAF_7_ECX_1: u32 = 6;
    const EAX: usize = 0;
    const EBX: usize = 1;
    const ECX: usize = 2;
    const EDX: usize = 3;

    /// Cranelift's x86-64 flags and where each feature's bit is: the same list, in the same
    /// order, as `cranelift_native::infer_native_flags`.
    const FLAGS: [(&str, u32, usize, u32); 19] = [
        ("has_cmpxchg16b", LEAF_1, ECX, 13),
        ("has_sse3", LEAF_1, ECX, 0),
        ("has_ssse3", LEAF_1, ECX, 9),
        ("has_sse41", LEAF_1, ECX, 19),
        ("has_sse42", LEAF_1, ECX, 20),
        ("has_popcnt", LEAF_1, ECX, 23),
        ("has_avx", LEAF_1, ECX, 28),
        ("has_avx2", LEAF_7, EBX, 5),
        ("has_fma", LEAF_1, ECX, 12),
        ("has_avx_vnni", LEAF_7_ECX_1, EAX, 4),
        ("has_avx512vnni", LEAF_7, ECX, 11),
        ("has_bmi1", LEAF_7, EBX, 3),
        ("has_bmi2", LEAF_7, EBX, 8),
        ("has_avx512bitalg", LEAF_7, ECX, 12),
        ("has_avx512dq", LEAF_7, EBX, 17),
        ("has_avx512f", LEAF_7, EBX, 16),
        ("has_avx512vl", LEAF_7, EBX, 31),
        ("has_avx512vbmi", LEAF_7, ECX, 1),
        ("has_lzcnt", LEAF_80000001, ECX, 5),
    ];

    /// `None` when this glibc does not export its CPU features.
    pub(super) fn builder() -> Result<Option<isa::Builder>, String> {
        // SAFETY: `dlsym` with `RTLD_DEFAULT` and a NUL-terminated name only reads.
        let symbol =
            unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"__x86_get_cpuid_feature_leaf".as_ptr()) };
        if symbol.is_null() {
            return Ok(None);
        }
        // SAFETY: the symbol is glibc's function of this signature (`<sys/platform/x86.h>`).
        let feature_leaf: FeatureLeaf = unsafe { std::mem::transmute(symbol) };
        let usable = |leaf: u32, register: usize, bit: u32| {
            // SAFETY: glibc returns a pointer to its static, initialized feature table for
            // every index (an all-zero entry for indices it does not know).
            let entry = unsafe { &*feature_leaf(leaf) };
            entry.active[register] & (1 << bit) != 0
        };
        if !usable(LEAF_1, EDX, 26) {
            return Err("x86 support requires SSE2".into());
        }
        let mut builder = isa::lookup(Triple::host()).map_err(|e| e.to_string())?;
        for (flag, leaf, register, bit) in FLAGS {
            if usable(leaf, register, bit) {
                builder.enable(flag).map_err(|e| format!("{flag}: {e}"))?;
            }
        }
        Ok(Some(builder))
    }
}

#[cfg(test)]
mod tests {
    use cranelift_codegen::settings;

    /// The flags read from glibc are exactly those `cranelift_native` detects with `cpuid`:
    /// a flag set wrongly would emit instructions this CPU lacks (or miss ones it has).
    #[test]
    fn host_features_match_cranelift_native() {
        let flags = || settings::Flags::new(settings::builder());
        let ours = super::builder().unwrap().finish(flags()).unwrap();
        let native = cranelift_native::builder().unwrap().finish(flags()).unwrap();
        let show = |isa: &dyn cranelift_codegen::isa::TargetIsa| {
            isa.isa_flags().iter().map(|v| v.to_string()).collect::<Vec<_>>()
        };
        assert_eq!(show(&*ours), show(&*native));
    }
}
