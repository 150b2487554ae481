//! An HTTP server on 127.0.0.1 that gives every request the same answer: for endpoints whose
//! answer a test fixes (an STS that says the token expired, that refuses AssumeRole).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};

pub struct CannedServer {
    url: String,
    hits: Arc<AtomicUsize>,
}

impl CannedServer {
    /// Serve `status` with an XML `body` to every request, until the test process ends.
    pub fn xml(status: u16, body: &str) -> CannedServer {
        match Self::try_start(status, "text/xml", body) {
            Ok(server) => server,
            Err(err) => panic!("cannot start the canned HTTP server: {err:#}"),
        }
    }

    fn try_start(status: u16, content_type: &str, body: &str) -> Result<CannedServer> {
        let listener = TcpListener::bind("127.0.0.1:0").context("bind 127.0.0.1:0")?;
        let url = format!("http://{}", listener.local_addr()?);
        let hits = Arc::new(AtomicUsize::new(0));
        let response = format!(
            "HTTP/1.1 {status} Canned\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nx-amzn-RequestId: canned\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let counted = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counted.fetch_add(1, Ordering::SeqCst);
                let _ = answer(stream, &response);
            }
        });
        Ok(CannedServer { url, hits })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Requests answered so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Read one request (headers and a Content-Length body) and write `response`.
fn answer(stream: TcpStream, response: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let mut stream = stream;
    stream.write_all(response.as_bytes())?;
    stream.flush()
}

/// An STS (Query protocol) error answer.
pub fn sts_error(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>canned</RequestId></ErrorResponse>"
    )
}
