//! A TCP listener whose connections a handler can sever. `drop_after_commit` faults need to
//! close the connection without writing the response, which an HTTP framework cannot do on its
//! own: once severed, every write fails, so hyper gives up and drops the socket unanswered.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Handed to handlers (as `ConnectInfo`) to sever the connection their request came on.
#[derive(Debug, Clone, Default)]
pub struct ConnectionControl {
    severed: Arc<AtomicBool>,
}

impl ConnectionControl {
    pub fn sever(&self) {
        self.severed.store(true, Ordering::SeqCst);
    }

    fn is_severed(&self) -> bool {
        self.severed.load(Ordering::SeqCst)
    }
}

pub struct SeverableListener {
    inner: TcpListener,
}

impl SeverableListener {
    pub fn new(inner: TcpListener) -> Self {
        SeverableListener { inner }
    }
}

impl Listener for SeverableListener {
    type Io = SeverableStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    // Clients wait for small responses; do not let Nagle delay them.
                    let _ = stream.set_nodelay(true);
                    let io = SeverableStream {
                        inner: stream,
                        control: ConnectionControl::default(),
                    };
                    return (io, addr);
                }
                Err(err)
                    if matches!(
                        err.kind(),
                        io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                            | io::ErrorKind::ConnectionRefused
                    ) => {}
                // e.g. out of file descriptors: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl Connected<IncomingStream<'_, SeverableListener>> for ConnectionControl {
    fn connect_info(stream: IncomingStream<'_, SeverableListener>) -> Self {
        stream.io().control.clone()
    }
}

pub struct SeverableStream {
    inner: TcpStream,
    control: ConnectionControl,
}

fn severed_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection severed by fault",
    )
}

impl AsyncRead for SeverableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.control.is_severed() {
            return Poll::Ready(Err(severed_error()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for SeverableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.control.is_severed() {
            return Poll::Ready(Err(severed_error()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.control.is_severed() {
            return Poll::Ready(Err(severed_error()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.control.is_severed() {
            return Poll::Ready(Err(severed_error()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
