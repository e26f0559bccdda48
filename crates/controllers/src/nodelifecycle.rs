//! The nodelifecycle controller (not written yet: runs nothing).

use std::sync::Arc;

use crate::context::{Context, Error};

pub async fn run(_ctx: Arc<Context>) -> Result<(), Error> {
    std::future::pending::<()>().await;
    Ok(())
}
