//! The CRI v1 client over containerd's Unix socket.

use std::path::{Path, PathBuf};

use api::image_service_client::ImageServiceClient;
use api::runtime_service_client::RuntimeServiceClient;
pub use k8s_cri::v1 as api;
use tonic::transport::{Channel, Endpoint, Uri};

/// Errors talking to the runtime.
#[derive(Debug, thiserror::Error)]
pub enum CriError {
    /// The socket could not be reached.
    #[error("cannot connect to the container runtime at {path}: {source}")]
    Connect {
        path: PathBuf,
        #[source]
        source: tonic::transport::Error,
    },
}

/// Both CRI services on one connection. Cheap to clone.
#[derive(Clone)]
pub struct Cri {
    pub runtime: RuntimeServiceClient<Channel>,
    pub images: ImageServiceClient<Channel>,
}

/// Connects to the CRI endpoint at `socket` (a Unix socket path).
pub async fn connect(socket: &Path) -> Result<Cri, CriError> {
    let path = socket.to_path_buf();
    let p2 = path.clone();
    // The URI is required by tonic but unused: the connector dials the socket.
    let channel = Endpoint::try_from("http://[::1]:50051")
        .map_err(|source| CriError::Connect {
            path: path.clone(),
            source,
        })?
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let p = p2.clone();
            async move {
                let s = tokio::net::UnixStream::connect(p).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(s))
            }
        }))
        .await
        .map_err(|source| CriError::Connect { path, source })?;
    Ok(Cri {
        runtime: RuntimeServiceClient::new(channel.clone()),
        images: ImageServiceClient::new(channel),
    })
}
