//! A TCP proxy in front of PostgreSQL whose network can be cut: while cut, it forwards
//! nothing either way (bytes wait, connections stay open, new ones are accepted but not
//! answered), as a silent network does; healed, it forwards again.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::exit::CliError;

/// The proxy; it stops accepting when dropped.
#[derive(Debug)]
pub struct Proxy {
    pub address: SocketAddr,
    cut: watch::Sender<bool>,
}

impl Proxy {
    /// A proxy on a free loopback port to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Result<Self, CliError> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| CliError::Failed(format!("cannot start the proxy: {e}")))?;
        let address = listener
            .local_addr()
            .map_err(|e| CliError::Failed(format!("cannot start the proxy: {e}")))?;
        let (cut, is_cut) = watch::channel(false);
        tokio::spawn(async move {
            loop {
                // A condition never met: it ends only when the proxy is dropped.
                let mut dropped = is_cut.clone();
                let accepted = tokio::select! {
                    accepted = listener.accept() => accepted,
                    _ = dropped.wait_for(|_| false) => return,
                };
                if let Ok((client, _)) = accepted {
                    tokio::spawn(forward(client, upstream, is_cut.clone()));
                }
            }
        });
        Ok(Self { address, cut })
    }

    /// Stops forwarding.
    pub fn cut(&self) {
        let _ = self.cut.send(true);
    }

    /// Forwards again.
    pub fn heal(&self) {
        let _ = self.cut.send(false);
    }
}

async fn forward(client: TcpStream, upstream: SocketAddr, cut: watch::Receiver<bool>) {
    if !passing(&cut).await {
        return;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::join!(
        pump(client_read, server_write, cut.clone()),
        pump(server_read, client_write, cut)
    );
}

/// Copies `from` to `to`, holding what it read while the network is cut.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, cut: watch::Receiver<bool>) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if !passing(&cut).await || to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// Waits until the network is not cut; `false` once the proxy is gone.
async fn passing(cut: &watch::Receiver<bool>) -> bool {
    cut.clone().wait_for(|cut| !*cut).await.is_ok()
}
