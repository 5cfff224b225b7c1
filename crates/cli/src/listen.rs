//! Binding the HTTP listeners of `serve` and `worker --metrics-addr`.

use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::exit::CliError;

/// Listens on `address` (port 0 picks a free one); returns the listener and the address
/// it got. `flag` names the option in the error.
pub async fn bind(address: SocketAddr, flag: &str) -> Result<(TcpListener, SocketAddr), CliError> {
    let listener = TcpListener::bind(address)
        .await
        .map_err(|e| CliError::Config(format!("{flag}: cannot listen on {address}: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| CliError::Config(format!("{flag}: cannot read the bound address: {e}")))?;
    Ok((listener, bound))
}
