//! Starting a server: PKI and admin kubeconfig on first start, store, bootstrap objects,
//! caches, TLS listener.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use kubehci_auth::pki::{ClusterCa, Kubeconfig, apiserver_names, kubeconfig_yaml, server_config};
use kubehci_auth::{Authenticator, RbacCache, StaticTokens};
use kubehci_store::{Backend, MemoryBackend, SqliteBackend};
use tokio::net::TcpListener;

use crate::alloc::ServiceAllocators;
use crate::catalog::{Catalog, CatalogHandle};
use crate::config::ServerConfig;
use crate::state::{SharedState, State};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("certificates: {0}")]
    Pki(#[from] kubehci_auth::AuthError),
    #[error("store: {0}")]
    Store(#[from] kubehci_store::StoreError),
    #[error(
        "cannot listen on {addr}: {source} (is another server using the port? pass --listen ADDR:PORT)"
    )]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("bootstrap: {0}")]
    Bootstrap(String),
}

/// Kubeconfigs written on first start: (file in the data dir, user). All are members of
/// `system:masters` for now (docs/adr/0003-component-credentials.md).
pub const COMPONENT_KUBECONFIGS: &[(&str, &str)] = &[
    ("admin.kubeconfig", "kubernetes-admin"),
    (
        "controller-manager.kubeconfig",
        "system:kube-controller-manager",
    ),
    ("scheduler.kubeconfig", "system:kube-scheduler"),
];

/// A running server.
pub struct ServerHandle {
    pub addr: SocketAddr,
    pub kubeconfig: PathBuf,
    pub state: SharedState,
    task: tokio::task::JoinHandle<()>,
}

impl ServerHandle {
    /// Waits until the server stops (it only stops when its task is aborted).
    pub async fn wait(self) {
        let _ = self.task.await;
    }

    /// Stops accepting connections.
    pub fn stop(&self) {
        self.task.abort();
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StartError + '_ {
    move |source| StartError::DataDir {
        path: path.to_path_buf(),
        source,
    }
}

/// Loads or creates the cluster CA in `DIR/pki`.
fn load_or_create_ca(dir: &Path) -> Result<ClusterCa, StartError> {
    let pki = dir.join("pki");
    std::fs::create_dir_all(&pki).map_err(io_err(&pki))?;
    let (crt, key) = (pki.join("ca.crt"), pki.join("ca.key"));
    if crt.exists() && key.exists() {
        return Ok(ClusterCa::load(&crt, &key)?);
    }
    let ca = ClusterCa::generate("kubernetes")?;
    ca.save(&crt, &key)?;
    Ok(ca)
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// Starts a server on `config`; returns once it accepts connections and is ready.
pub async fn start(config: ServerConfig) -> Result<ServerHandle, StartError> {
    let dir = config.data_dir.clone();
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let ca = load_or_create_ca(&dir)?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: config.listen,
        source,
    })?;
    let mut config = config;
    config.listen = addr;
    let allocators = ServiceAllocators::new(config.service_cidr, config.node_port_range);
    let mut ips: Vec<IpAddr> = vec![addr.ip()];
    if !addr.ip().is_loopback() {
        ips.push(IpAddr::from([127, 0, 0, 1]));
    }
    let (dns, ips) = apiserver_names(&hostname(), IpAddr::V4(allocators.first_ip()), &ips);
    let serving = ca.issue_serving("kube-apiserver", &dns, &ips)?;
    let tls = Arc::new(server_config(ca.cert_pem(), &serving)?);
    let backend: Arc<dyn Backend> = if config.in_memory {
        Arc::new(MemoryBackend::new())
    } else {
        Arc::new(SqliteBackend::open(dir.join("state.db"))?)
    };
    let tokens_path = dir.join("tokens.csv");
    let tokens = if tokens_path.exists() {
        StaticTokens::from_file(&tokens_path)?
    } else {
        StaticTokens::new()
    };
    let sa_signer =
        kubehci_auth::satoken::SaSigner::load_or_create(&dir.join("pki").join("sa.key"))?;
    let authenticators = kubehci_auth::TokenAuthenticators(vec![
        Arc::new(tokens),
        Arc::new(crate::satokens::SaTokens(sa_signer.verifier())),
    ]);
    let state = Arc::new(State {
        backend: backend.clone(),
        catalog: CatalogHandle::new(Catalog::new(kubehci_api::builtin::builtin_resources())),
        allocators,
        authn: Authenticator::new(Arc::new(authenticators)),
        sa_signer,
        rbac: RbacCache::new(),
        // Filled by the first CRD load below (built-ins plus CRDs), before serving.
        openapi: kubehci_schema::OpenApiCache::new(&[], &[]),
        crds: Default::default(),
        crd_schemas: Default::default(),
        kubelet_client: Some(kubelet_client(&dir, &ca)?),
        ready: AtomicBool::new(false),
        config,
    });
    crate::bootstrap::run(&state)
        .await
        .map_err(|e| StartError::Bootstrap(e.message))?;
    let rbac_rev = crate::informers::load_rbac(&state).await?;
    let crd_rev = crate::informers::load_crds(&state).await?;
    crate::informers::spawn(state.clone(), rbac_rev, crd_rev);
    kubehci_store::spawn_compactor(
        backend,
        state.config.compaction_interval,
        state.config.compaction_keep,
    );
    let host = if addr.ip().is_unspecified() {
        IpAddr::from([127, 0, 0, 1])
    } else {
        addr.ip()
    };
    let server = format!("https://{}", SocketAddr::new(host, addr.port()));
    // Credentials written once, on first start: the admin's, and the in-process
    // components' (controller manager, scheduler), which run as separate clients.
    for (file, user) in COMPONENT_KUBECONFIGS {
        let path = dir.join(file);
        if path.exists() {
            continue;
        }
        let kc = Kubeconfig {
            cluster_name: "kubehci".into(),
            server: server.clone(),
            ca_pem: ca.cert_pem().to_string(),
            user_name: (*user).into(),
            client: Some(ca.issue_client(user, &["system:masters"])?),
            token: None,
            namespace: None,
        };
        write_private(&path, kubeconfig_yaml(&kc)?.as_bytes()).map_err(io_err(&path))?;
    }
    let kubeconfig = dir.join("admin.kubeconfig");
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let task = tokio::spawn(crate::server::serve(state.clone(), listener, acceptor));
    state.ready.store(true, Ordering::Release);
    tracing::info!(%addr, kubeconfig = %kubeconfig.display(), "API server ready");
    Ok(ServerHandle {
        addr,
        kubeconfig,
        state,
        task,
    })
}

/// The API server's client certificate towards node agents, issued on every start into
/// `DIR/pki/apiserver-kubelet-client.{crt,key}` (kubeadm's names), and the TLS config using it.
fn kubelet_client(dir: &Path, ca: &ClusterCa) -> Result<Arc<rustls::ClientConfig>, StartError> {
    let pki = dir.join("pki");
    let (crt, key, ca_crt) = (
        pki.join("apiserver-kubelet-client.crt"),
        pki.join("apiserver-kubelet-client.key"),
        pki.join("ca.crt"),
    );
    let cert = ca.issue_client(
        kubehci_streaming::node::tls::KUBELET_CLIENT_CN,
        &[kubehci_streaming::node::tls::MASTERS_GROUP],
    )?;
    write_private(&crt, cert.cert_pem.as_bytes()).map_err(io_err(&crt))?;
    write_private(&key, cert.key_pem.as_bytes()).map_err(io_err(&key))?;
    let config = kubehci_streaming::client::client_config(&ca_crt, &crt, &key)
        .map_err(|e| StartError::Bootstrap(format!("kubelet client credentials: {e}")))?;
    Ok(Arc::new(config))
}

/// Writes a file readable by its owner only.
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}
