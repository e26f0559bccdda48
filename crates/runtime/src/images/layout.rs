//! Writing OCI image-layout archives (oci-layout, index.json, blobs/sha256/...) that
//! `ctr images import` and other OCI tools accept. Everything is reproducible: fixed mtimes,
//! owners and entry order, so the same inputs always give the same digests.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The mtime of every entry (2000-01-01T00:00:00Z; any fixed value would do).
pub(crate) const MTIME: u64 = 946_684_800;

pub(crate) const MEDIA_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub(crate) const MEDIA_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub(crate) const MEDIA_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub(crate) const MEDIA_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";

/// containerd names an imported image after this annotation.
pub(crate) const ANNOTATION_CONTAINERD_NAME: &str = "io.containerd.image.name";
/// The OCI annotation other tools read the reference from.
pub(crate) const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";

/// One entry of a layer.
#[derive(Debug, Clone)]
pub(crate) enum Entry {
    Dir { mode: u32, uid: u64, gid: u64 },
    File { mode: u32, data: Vec<u8> },
    Symlink { target: String },
}

/// A filesystem layer assembled in memory; paths are relative ("bin/sh"). Parent directories
/// are added (0755, root) when not given.
#[derive(Debug, Default)]
pub(crate) struct Layer {
    entries: BTreeMap<String, Entry>,
}

impl Layer {
    pub(crate) fn dir(&mut self, path: &str, mode: u32) {
        self.dir_owned(path, mode, 0, 0);
    }

    pub(crate) fn dir_owned(&mut self, path: &str, mode: u32, uid: u64, gid: u64) {
        self.parents(path);
        self.entries.insert(
            path.trim_matches('/').to_string(),
            Entry::Dir { mode, uid, gid },
        );
    }

    pub(crate) fn file(&mut self, path: &str, mode: u32, data: Vec<u8>) {
        self.parents(path);
        self.entries.insert(
            path.trim_matches('/').to_string(),
            Entry::File { mode, data },
        );
    }

    pub(crate) fn symlink(&mut self, path: &str, target: &str) {
        self.parents(path);
        self.entries.insert(
            path.trim_matches('/').to_string(),
            Entry::Symlink {
                target: target.to_string(),
            },
        );
    }

    fn parents(&mut self, path: &str) {
        let path = path.trim_matches('/');
        let mut at = 0;
        while let Some(i) = path[at..].find('/') {
            let parent = &path[..at + i];
            self.entries
                .entry(parent.to_string())
                .or_insert(Entry::Dir {
                    mode: 0o755,
                    uid: 0,
                    gid: 0,
                });
            at += i + 1;
        }
    }

    /// The layer as an uncompressed tar.
    pub(crate) fn to_tar(&self) -> std::io::Result<Vec<u8>> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, entry) in &self.entries {
            let mut h = tar::Header::new_gnu();
            h.set_mtime(MTIME);
            match entry {
                Entry::Dir { mode, uid, gid } => {
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_mode(*mode);
                    h.set_uid(*uid);
                    h.set_gid(*gid);
                    h.set_size(0);
                    b.append_data(&mut h, format!("{path}/"), std::io::empty())?;
                }
                Entry::File { mode, data } => {
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_mode(*mode);
                    h.set_uid(0);
                    h.set_gid(0);
                    h.set_size(data.len() as u64);
                    b.append_data(&mut h, path, data.as_slice())?;
                }
                Entry::Symlink { target } => {
                    h.set_entry_type(tar::EntryType::Symlink);
                    h.set_mode(0o777);
                    h.set_uid(0);
                    h.set_gid(0);
                    h.set_size(0);
                    b.append_link(&mut h, path, target)?;
                }
            }
        }
        b.into_inner()
    }
}

/// `sha256:<hex>` of `data`.
pub(crate) fn digest(data: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(data))
}

/// The image's architecture in OCI terms.
pub(crate) fn oci_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "arm",
        "powerpc64" => "ppc64le",
        "s390x" => "s390x",
        other => other,
    }
}

/// A one-layer image archive: its bytes and the digest of its config (the image ID CRI shows).
pub(crate) struct Archive {
    pub bytes: Vec<u8>,
    pub config_digest: String,
}

/// Builds the OCI layout archive of image `name` from `layer` and the runtime `config` (the
/// `config` object of the OCI image config: Env, Cmd, Entrypoint, User, WorkingDir).
pub(crate) fn archive(name: &str, config: Value, layer: &Layer) -> std::io::Result<Archive> {
    let layer_tar = layer.to_tar()?;
    let layer_digest = digest(&layer_tar);
    let image_config = json!({
        "architecture": oci_arch(),
        "os": "linux",
        "config": config,
        "rootfs": { "type": "layers", "diff_ids": [layer_digest] },
        "history": [{ "created_by": format!("kubehci: built-in image {name}") }],
    });
    let config_bytes = serde_json::to_vec(&image_config)?;
    let config_digest = digest(&config_bytes);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MEDIA_MANIFEST,
        "config": { "mediaType": MEDIA_CONFIG, "digest": config_digest, "size": config_bytes.len() },
        "layers": [{ "mediaType": MEDIA_LAYER, "digest": layer_digest, "size": layer_tar.len() }],
    });
    let manifest_bytes = serde_json::to_vec(&manifest)?;
    let manifest_digest = digest(&manifest_bytes);
    let index = json!({
        "schemaVersion": 2,
        "mediaType": MEDIA_INDEX,
        "manifests": [{
            "mediaType": MEDIA_MANIFEST,
            "digest": manifest_digest,
            "size": manifest_bytes.len(),
            "platform": { "architecture": oci_arch(), "os": "linux" },
            "annotations": { ANNOTATION_CONTAINERD_NAME: name, ANNOTATION_REF_NAME: name },
        }],
    });
    let index_bytes = serde_json::to_vec(&index)?;
    let mut out = Layer::default();
    out.file(
        "oci-layout",
        0o644,
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    );
    out.file("index.json", 0o644, index_bytes);
    for (d, bytes) in [
        (&config_digest, config_bytes),
        (&manifest_digest, manifest_bytes),
        (&layer_digest, layer_tar),
    ] {
        let hex = d.trim_start_matches("sha256:");
        out.file(&format!("blobs/sha256/{hex}"), 0o644, bytes);
    }
    Ok(Archive {
        bytes: out.to_tar()?,
        config_digest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Layer {
        let mut l = Layer::default();
        l.file("usr/bin/hello", 0o755, b"hi".to_vec());
        l.symlink("bin/hi", "/usr/bin/hello");
        l.dir("tmp", 0o1777);
        l
    }

    #[test]
    fn layers_are_reproducible_and_complete() {
        let a = sample().to_tar().unwrap();
        assert_eq!(a, sample().to_tar().unwrap());
        let mut ar = tar::Archive::new(a.as_slice());
        let names: Vec<(String, u32, u64)> = ar
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().display().to_string(),
                    e.header().mode().unwrap(),
                    e.header().mtime().unwrap(),
                )
            })
            .collect();
        let paths: Vec<&str> = names.iter().map(|n| n.0.as_str()).collect();
        assert_eq!(
            paths,
            [
                "bin/",
                "bin/hi",
                "tmp/",
                "usr/",
                "usr/bin/",
                "usr/bin/hello"
            ]
        );
        assert!(names.iter().all(|n| n.2 == MTIME));
        assert_eq!(names[2].1, 0o1777);
    }

    #[test]
    fn archive_names_the_image_and_links_its_blobs() {
        let a = archive("example.local/x:1", json!({"Cmd": ["sh"]}), &sample()).unwrap();
        let mut ar = tar::Archive::new(a.bytes.as_slice());
        let mut files = BTreeMap::new();
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut v).unwrap();
            files.insert(e.path().unwrap().display().to_string(), v);
        }
        let index: Value = serde_json::from_slice(&files["index.json"]).unwrap();
        let m = &index["manifests"][0];
        assert_eq!(
            m["annotations"][ANNOTATION_CONTAINERD_NAME],
            "example.local/x:1"
        );
        let mdigest = m["digest"].as_str().unwrap();
        let mbytes = &files[&format!("blobs/sha256/{}", &mdigest[7..])];
        assert_eq!(digest(mbytes), mdigest);
        let manifest: Value = serde_json::from_slice(mbytes).unwrap();
        assert_eq!(manifest["config"]["digest"], a.config_digest);
        let layer = manifest["layers"][0]["digest"].as_str().unwrap();
        assert_eq!(
            digest(&files[&format!("blobs/sha256/{}", &layer[7..])]),
            layer
        );
    }
}
