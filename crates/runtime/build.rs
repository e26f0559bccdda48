//! Compiles the pause program (src/images/pause.c) into a static binary that the pause image
//! embeds. Needs gcc and a static libc (Debian: build-essential, installed by scripts/setup.sh).

use std::path::PathBuf;
use std::process::Command;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let src = "src/images/pause.c";
    println!("cargo:rerun-if-changed={src}");
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("pause");
    let status = Command::new("gcc")
        .args(["-static", "-Os", "-s", "-Wall", "-Werror", "-Wl,--build-id=none", "-o"])
        .arg(&out)
        .arg(src)
        .status()
        .map_err(|e| format!("cannot run gcc to build the pause binary ({e}); install build-essential (scripts/setup.sh)"))?;
    if !status.success() {
        return Err(format!(
            "gcc failed to build {src} ({status}); install build-essential (scripts/setup.sh)"
        )
        .into());
    }
    Ok(())
}
