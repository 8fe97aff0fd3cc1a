//! Choosing where the model runs: `--backend auto|wgpu|cpu`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::str::FromStr;

use burn::prelude::*;
use burn::tensor::{DeviceKind, DeviceType};

use crate::error::{Error, Result};

/// The backends deskbot offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// A real GPU through wgpu when the machine has one, else the CPU backend.
    #[default]
    Auto,
    /// wgpu on its default adapter (a software Vulkan driver such as lavapipe counts).
    Wgpu,
    /// burn's pure-Rust CPU backend (`flex`).
    Cpu,
}

impl FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "auto" => Ok(Backend::Auto),
            "wgpu" | "gpu" => Ok(Backend::Wgpu),
            "cpu" | "flex" => Ok(Backend::Cpu),
            other => Err(format!("unknown backend {other:?} (auto, wgpu, cpu)")),
        }
    }
}

/// A device ready to use, and a name for it to print.
#[derive(Debug, Clone)]
pub struct SelectedDevice {
    pub device: Device,
    pub name: String,
}

impl Backend {
    /// Brings the backend up. `Wgpu` fails with a clear error where no adapter exists;
    /// `Auto` never fails (it falls back to the CPU).
    pub fn device(self) -> Result<SelectedDevice> {
        match self {
            Backend::Cpu => Ok(SelectedDevice { device: Device::flex(), name: "cpu (flex)".into() }),
            Backend::Wgpu => {
                let device = Device::wgpu(DeviceKind::DefaultDevice);
                let name = probe(&device).map_err(|why| {
                    Error::Backend(format!(
                        "no usable wgpu adapter ({why}); on Debian without a GPU install mesa-vulkan-drivers, or use --backend cpu"
                    ))
                })?;
                Ok(SelectedDevice { device, name: format!("wgpu ({name})") })
            }
            Backend::Auto => match real_gpu() {
                Some(name) => Ok(SelectedDevice { device: Device::wgpu(DeviceKind::DefaultDevice), name: format!("wgpu ({name})") }),
                None => Backend::Cpu.device(),
            },
        }
    }
}

/// Runs one tiny computation on `device` and returns the adapter's name.
fn probe(device: &Device) -> std::result::Result<String, String> {
    catch_unwind(AssertUnwindSafe(|| {
        let sum = Tensor::<1>::from_floats([1.0, 2.0], device).sum().into_scalar::<f32>();
        if sum != 3.0 {
            return Err(format!("1 + 2 gave {sum}"));
        }
        Ok(device.identity().map_or_else(|| "default adapter".to_string(), |id| id.name))
    }))
    .unwrap_or_else(|panic| Err(panic_message(panic)))
}

/// The name of a hardware GPU that wgpu can drive, if any (software rasterizers don't count).
/// On Linux a GPU has a device node; without one, asking wgpu would only load the software
/// driver (≈ 75 MB of resident memory for lavapipe and its LLVM) to find nothing.
fn real_gpu() -> Option<String> {
    if cfg!(target_os = "linux") && !has_gpu_device_node() {
        return None;
    }
    catch_unwind(|| Device::enumerate(DeviceType::Wgpu).into_iter().filter_map(|d| d.identity()).find(|id| id.physical.is_some()).map(|id| id.name))
        .ok()
        .flatten()
}

/// A render node (`/dev/dri/renderD*`: AMD, Intel, and NVIDIA with nouveau) or NVIDIA's own
/// device node.
fn has_gpu_device_node() -> bool {
    let render = std::fs::read_dir("/dev/dri").is_ok_and(|dir| dir.flatten().any(|e| e.file_name().to_string_lossy().starts_with("renderD")));
    render || std::path::Path::new("/dev/nvidia0").exists()
}

fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "the backend panicked".into())
}
